/**
 * One deployment: its cold-start timeline, replicas, events, live log tail, usage chart,
 * schedule and scale range, and the operations (scale, pause, resume, delete).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorFor } from '../api';
import { UsageChart } from '../chart';
import { Timeline } from '../timeline';
import type { DeploymentView, EventList, Logs, ScheduleView, UsageView } from '../types';
import { duration, Field, FormError, Loading, money, StatusBadge, time, useApp, usePoll } from '../ui';

export const DeploymentPage = ({ id }: { id: string }) => {
  const { api } = useApp();
  const params = { model_id: id };
  const deployment = usePoll(() => api.call<DeploymentView>('getDeployment', { params }), 2000, [id]);
  const events = useEvents(id);
  const [deleted, setDeleted] = useState(false);
  if (deleted) {
    return (
      <section>
        <h1>Deleting</h1>
        <p role="status">
          The delete was accepted; the deployment disappears from the <a href="#/deployments">list</a> once its nodes are released.
        </p>
      </section>
    );
  }
  if (!deployment.data) return <Loading error={deployment.error} />;
  const d = deployment.data;
  return (
    <section aria-labelledby="deployment-title" data-status={d.status} data-phase={d.phase}>
      <header class="page-header">
        <div>
          <p class="crumbs">
            <a href="#/deployments">Deployments</a> /
          </p>
          <h1 id="deployment-title">{d.name}</h1>
          <p class="mono">{d.model_id}</p>
        </div>
        <StatusBadge status={d.status} phase={d.phase} />
      </header>
      {d.fail_reason ? (
        <p class="form-error" role="alert">
          Failed: {d.fail_reason}
        </p>
      ) : null}
      <div class="cards">
        <section class="card" aria-labelledby="summary-title">
          <h2 id="summary-title">Summary</h2>
          <dl class="facts">
            <dt>Replicas</dt>
            <dd id="replicas-summary">
              {d.instances.running} running, {d.instances.pending} pending, {d.replicas} desired
            </dd>
            <dt>GPUs</dt>
            <dd>
              {d.gpu_count} × {d.gpu_config_id} per replica ({d.region})
            </dd>
            <dt>Endpoint</dt>
            <dd class="mono wrap">{d.endpoint_url ?? '—'}</dd>
            <dt>Uptime</dt>
            <dd>{duration(d.uptime_seconds)}</dd>
            <dt>Cost to date</dt>
            <dd>
              {money(d.cost_to_date)} ({(d.gpu_seconds / 3600).toFixed(4)} GPU-hours)
            </dd>
            <dt>Serving</dt>
            <dd>
              max_model_len {d.config.max_model_len}, max_num_seqs {d.config.max_num_seqs}
            </dd>
            <dt>Workflow</dt>
            <dd>
              <a href={d.workflow.console_url} target="_blank" rel="noreferrer">
                execution in the Step Functions console
              </a>
            </dd>
          </dl>
        </section>
        <Operations deployment={d} onChange={deployment.reload} onDeleted={() => setDeleted(true)} />
      </div>
      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Cold-start timeline</h2>
        <Timeline deployment={d} now={Date.now()} />
      </section>
      <div class="cards">
        <EventsCard events={events} />
        <LogTail id={id} />
      </div>
      <Usage id={id} />
      <div class="cards">
        <Autoscaling deployment={d} events={events} onChange={deployment.reload} />
        <Schedule id={id} />
      </div>
    </section>
  );
};

const Operations = ({ deployment: d, onChange, onDeleted }: { deployment: DeploymentView; onChange: () => Promise<void>; onDeleted: () => void }) => {
  const { api } = useApp();
  const [replicas, setReplicas] = useState(String(d.replicas));
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const params = { model_id: d.id };
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await onChange();
    } catch (e) {
      setError(errorFor(e, ['replicas']));
    } finally {
      setBusy(false);
    }
  };
  const scale = (to: number) => run(() => api.call('scaleDeployment', { params, body: { replicas: to } }));
  const resumeTo = Math.max(1, d.autoscaling?.min_replicas ?? 1);
  return (
    <section class="card" aria-labelledby="ops-title">
      <h2 id="ops-title">Operations</h2>
      <form
        class="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void scale(Number(replicas));
        }}
      >
        <Field id="scale-replicas" label="Replicas" error={error?.field === 'replicas' ? error.message : undefined}>
          <input id="scale-replicas" type="number" min={0} value={replicas} onInput={(e) => setReplicas(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="button" disabled={busy}>
          Scale
        </button>
      </form>
      <div class="actions">
        {d.phase === 'paused' ? (
          <button type="button" class="button" disabled={busy} onClick={() => void scale(resumeTo)}>
            Resume ({resumeTo})
          </button>
        ) : (
          <button type="button" class="button" disabled={busy || d.status === 'terminating'} onClick={() => void scale(0)}>
            Pause
          </button>
        )}
        {confirmDelete ? (
          <>
            <button type="button" class="button danger" id="confirm-delete" disabled={busy} onClick={() => void run(async () => (await api.call('deleteDeployment', { params }), onDeleted()))}>
              Confirm delete
            </button>
            <button type="button" class="button" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" class="button danger" disabled={busy || d.status === 'terminating'} onClick={() => setConfirmDelete(true)}>
            Delete…
          </button>
        )}
      </div>
      <FormError message={error && !error.field ? error.message : undefined} />
    </section>
  );
};

/** The deployment's events, newest first: the events card and the scale decisions both read them. */
const useEvents = (id: string) => {
  const { api } = useApp();
  return usePoll(
    async () => {
      // Oldest first, by pages: follow the cursor to the newest (a deployment's history is short).
      const items: EventList['items'] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const answer = await api.call<EventList>('listEvents', { params: { model_id: id }, query: { limit: 100, cursor } });
        items.push(...answer.items);
        if (!answer.next_cursor) break;
        cursor = answer.next_cursor;
      }
      return items.reverse();
    },
    3000,
    [id],
  );
};
type EventsPoll = ReturnType<typeof useEvents>;

const EventsCard = ({ events }: { events: EventsPoll }) => (
  <section class="card" aria-labelledby="events-title">
    <h2 id="events-title">Events</h2>
    {!events.data ? (
      <Loading error={events.error} />
    ) : (
      <ol class="events" id="events">
        {events.data.map((e, i) => (
          <li key={`${e.at}-${i}`}>
            <time dateTime={e.at}>{time(e.at)}</time> <strong>{e.type.replace(/_/g, ' ')}</strong> <span class="hint">{e.phase.replace(/_/g, ' ')}</span>
            <div>{e.message}</div>
            {e.reason ? <div class="form-error">{e.reason}</div> : null}
          </li>
        ))}
      </ol>
    )}
  </section>
);

const LogTail = ({ id }: { id: string }) => {
  const { api } = useApp();
  const logs = usePoll(() => api.call<Logs>('getLogs', { params: { model_id: id }, query: { tail_lines: 200 } }), 2000, [id]);
  const pre = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  });
  return (
    <section class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Log tail</h2>
      <label class="check">
        <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
      </label>
      {!logs.data ? (
        <Loading error={logs.error} />
      ) : logs.data.pods.length === 0 ? (
        <p class="empty">No pods yet.</p>
      ) : (
        <pre class="log" id="log" ref={pre} tabIndex={0} aria-label="Model server log">
          {logs.data.pods.map((p) => `── ${p.name} (${p.phase}${p.ready ? ', ready' : ''}, ${p.restarts} restarts)\n${p.error ? `[${p.error}]\n` : ''}${p.log}`).join('\n')}
        </pre>
      )}
    </section>
  );
};

const Usage = ({ id }: { id: string }) => {
  const { api } = useApp();
  const usage = usePoll(() => api.call<UsageView>('getUsage', { params: { model_id: id } }), 5000, [id]);
  return (
    <section class="card" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      {!usage.data ? (
        <Loading error={usage.error} />
      ) : (
        <>
          <p id="usage-summary">
            {duration(usage.data.serving_seconds)} serving, {(usage.data.gpu_seconds / 3600).toFixed(3)} GPU-hours, {money(usage.data.cost_to_date, usage.data.currency ?? 'USD')} at{' '}
            {money(usage.data.unit_price, usage.data.currency ?? 'USD')} per GPU-hour
          </p>
          {usage.data.tokens ? (
            <p id="usage-tokens">
              Through the inference gateway: {usage.data.tokens.total.requests} requests, {usage.data.tokens.total.prompt_tokens} prompt and {usage.data.tokens.total.completion_tokens}{' '}
              completion tokens
            </p>
          ) : null}
          <UsageChart days={usage.data.days} currency={usage.data.currency ?? 'USD'} />
        </>
      )}
    </section>
  );
};

const SCALE_EVENTS = new Set(['scale_requested', 'pause_requested', 'resume_requested']);

const Autoscaling = ({ deployment: d, events, onChange }: { deployment: DeploymentView; events: EventsPoll; onChange: () => Promise<void> }) => {
  const decisions = (events.data ?? []).filter((e) => SCALE_EVENTS.has(e.type)).slice(0, 5);
  const { api } = useApp();
  const [range, setRange] = useState({ min: String(d.autoscaling?.min_replicas ?? ''), max: String(d.autoscaling?.max_replicas ?? '') });
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setError(undefined);
    setSaved(false);
    try {
      await api.call('setAutoscaling', { params: { model_id: d.id }, body: { min_replicas: Number(range.min), max_replicas: Number(range.max) } });
      setSaved(true);
      await onChange();
    } catch (e) {
      setError(errorFor(e, ['min_replicas', 'max_replicas']));
    }
  };
  return (
    <section class="card" aria-labelledby="autoscaling-title">
      <h2 id="autoscaling-title">Autoscaling</h2>
      <p class="hint">
        {d.autoscaling ? `Range ${d.autoscaling.min_replicas}–${d.autoscaling.max_replicas}.` : 'No range set (0 to 16).'} The latest scale, pause and resume requests,
        by people, the schedule or the autoscaler:
      </p>
      {decisions.length === 0 ? (
        <p class="empty">None yet.</p>
      ) : (
        <ol class="events" id="scale-decisions">
          {decisions.map((e, i) => (
            <li key={`${e.at}-${i}`}>
              <time dateTime={e.at}>{time(e.at)}</time> {e.message}
            </li>
          ))}
        </ol>
      )}
      <form
        class="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field id="min_replicas" label="Min replicas" error={error?.field === 'min_replicas' ? error.message : undefined}>
          <input id="min_replicas" type="number" min={0} value={range.min} onInput={(e) => setRange({ ...range, min: e.currentTarget.value })} />
        </Field>
        <Field id="max_replicas" label="Max replicas" error={error?.field === 'max_replicas' ? error.message : undefined}>
          <input id="max_replicas" type="number" min={1} value={range.max} onInput={(e) => setRange({ ...range, max: e.currentTarget.value })} />
        </Field>
        <button type="submit" class="button">
          Save range
        </button>
      </form>
      <FormError message={error && !error.field ? error.message : undefined} />
      {saved ? <p role="status">Saved.</p> : null}
    </section>
  );
};

const Schedule = ({ id }: { id: string }) => {
  const { api } = useApp();
  const schedule = usePoll(async () => {
    try {
      return await api.call<ScheduleView>('getSchedule', { params: { model_id: id } });
    } catch (e) {
      // No schedule yet is a 404; the form then starts empty.
      if (e instanceof Error && 'status' in e && e.status === 404) return null;
      throw e;
    }
  }, 0, [id]);
  const [idle, setIdle] = useState<string | undefined>(undefined);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  if (schedule.data === undefined) {
    return (
      <section class="card" aria-labelledby="schedule-title">
        <h2 id="schedule-title">Schedule</h2>
        <Loading error={schedule.error} />
      </section>
    );
  }
  const s = schedule.data;
  const idleValue = idle ?? String(s?.idle_timeout_minutes ?? '');
  const save = async () => {
    setError(undefined);
    setSaved(false);
    try {
      await api.call('putSchedule', {
        params: { model_id: id },
        body: { time_zone: s?.time_zone ?? 'UTC', windows: s?.windows ?? [], idle_timeout_minutes: idleValue === '' ? null : Number(idleValue) },
      });
      setSaved(true);
      await schedule.reload();
    } catch (e) {
      setError(errorFor(e, ['idle_timeout_minutes', 'time_zone', 'windows']));
    }
  };
  return (
    <section class="card" aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule</h2>
      {s ? (
        <dl class="facts">
          <dt>Time zone</dt>
          <dd>{s.time_zone}</dd>
          <dt>Windows</dt>
          <dd>{s.windows.length === 0 ? 'none' : s.windows.map((w) => `${w.cron} → ${w.replicas}`).join('; ')}</dd>
          <dt>Next</dt>
          <dd>{s.next_windows.length === 0 ? '—' : s.next_windows.map((w) => `${time(w.at)} → ${w.replicas}`).join('; ')}</dd>
          <dt>Pause after idle</dt>
          <dd>{s.idle_timeout_minutes === null ? 'never' : `${s.idle_timeout_minutes} min`}</dd>
          <dt>Last activity</dt>
          <dd>{time(s.last_activity_at)}</dd>
        </dl>
      ) : (
        <p class="hint">No schedule: it runs until scaled or deleted.</p>
      )}
      <form
        class="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field id="idle_timeout_minutes" label="Pause after idle (minutes)" error={error?.field === 'idle_timeout_minutes' ? error.message : undefined}>
          <input id="idle_timeout_minutes" type="number" min={1} value={idleValue} onInput={(e) => setIdle(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="button">
          Save schedule
        </button>
      </form>
      <FormError message={error && error.field !== 'idle_timeout_minutes' ? error.message : undefined} />
      {saved ? <p role="status">Saved.</p> : null}
    </section>
  );
};
