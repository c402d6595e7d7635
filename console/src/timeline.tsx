/**
 * The cold-start timeline: each phase between two milestones as a segment on one time axis,
 * from `accepted` to `ready` (or now, with the ETA as the axis' end while initializing).
 */
import { MILESTONES } from '../../contract/milestones';
import type { DeploymentView } from './types';
import { duration, time } from './ui';

const PHASE_OF_SEGMENT: Record<(typeof MILESTONES)[number], string> = {
  accepted: 'reserving capacity',
  capacity_reserved: 'provisioning nodes',
  nodes_ready: 'scheduling',
  scheduled: 'pulling image',
  image_pulled: 'starting server',
  model_loading: 'loading model',
  ready: 'ready',
};

export const Timeline = ({ deployment, now }: { deployment: DeploymentView; now: number }) => {
  const stamps = MILESTONES.map((m) => ({ milestone: m, at: deployment.timeline[m] ? Date.parse(deployment.timeline[m]!) : undefined }));
  const start = stamps[0]?.at;
  if (start === undefined) return <p>No timeline yet.</p>;
  const reached = stamps.filter((s): s is { milestone: (typeof MILESTONES)[number]; at: number } => s.at !== undefined);
  const ready = deployment.timeline.ready !== undefined;
  const eta = deployment.eta ? Date.parse(deployment.eta.expected_ready_at) : undefined;
  const last = reached[reached.length - 1]!;
  const end = ready ? last.at : Math.max(now, eta ?? now, last.at);
  const span = Math.max(1, end - start);
  const pct = (t: number) => `${(((t - start) / span) * 100).toFixed(2)}%`;
  const segments = reached.slice(0, ready ? -1 : undefined).map((s, i) => {
    const next = reached[i + 1]?.at ?? (deployment.status === 'initializing' ? now : s.at);
    return { label: PHASE_OF_SEGMENT[s.milestone], from: s.at, to: next, open: reached[i + 1] === undefined };
  });
  return (
    <figure class="timeline" aria-labelledby="timeline-caption">
      <figcaption id="timeline-caption">
        Cold start: {ready ? `ready after ${duration((last.at - start) / 1000)}` : `${duration((now - start) / 1000)} so far`}
        {!ready && eta ? ` · ETA ${time(deployment.eta!.expected_ready_at)} (${deployment.eta!.based_on === 'history' ? `median of ${deployment.eta!.samples} cold starts` : 'from the model size'})` : ''}
      </figcaption>
      <div class="timeline-track">
        {segments.map((s, i) => (
          <div
            key={s.label}
            class={`timeline-segment seg-${i % 6}${s.open ? ' open' : ''}`}
            style={{ left: pct(s.from), width: `max(2px, ${(((s.to - s.from) / span) * 100).toFixed(2)}%)` }}
            title={`${s.label}: ${duration((s.to - s.from) / 1000)}`}
          />
        ))}
        {!ready && eta ? <div class="timeline-eta" style={{ left: `min(${pct(eta)}, calc(100% - 3px))` }} title={`ETA ${time(deployment.eta!.expected_ready_at)}`} /> : null}
      </div>
      <div class="timeline-axis" aria-hidden="true">
        <span>0 s</span>
        <span>{duration(span / 2000)}</span>
        <span>{duration(span / 1000)}</span>
      </div>
      <ol class="timeline-legend">
        {segments.map((s, i) => (
          <li key={s.label}>
            <span class={`swatch seg-${i % 6}`} /> {s.label}: {duration((s.to - s.from) / 1000)}
            {s.open ? ' (in progress)' : ''}
          </li>
        ))}
        {ready ? <li data-milestone="ready">ready at {time(deployment.timeline.ready)}</li> : null}
      </ol>
    </figure>
  );
};
