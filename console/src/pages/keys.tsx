/** The project's inference keys: create (the secret shown once), list, revoke, usage per day. */
import { useState } from 'preact/hooks';
import { errorFor } from '../api';
import type { CreatedInferenceKeyView, InferenceKeyList, InferenceKeyUsageView } from '../types';
import { Field, FormError, Loading, time, useApp, usePoll } from '../ui';

const FIELDS = ['name', 'expires_at', 'deployment_ids', 'limits', 'requests_per_minute', 'tokens_per_minute', 'concurrent_requests'];

export const KeysPage = () => {
  const { api, session } = useApp();
  const keys = usePoll(() => api.call<InferenceKeyList>('listKeys', { query: { limit: 100 } }), 10_000, [session.project_id]);
  const [form, setForm] = useState({ name: '', rpm: '', tpm: '', concurrent: '' });
  const [created, setCreated] = useState<CreatedInferenceKeyView | undefined>(undefined);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [usageOf, setUsageOf] = useState<string | undefined>(undefined);

  const create = async () => {
    setError(undefined);
    const int = (v: string) => (v.trim() === '' ? undefined : Number(v));
    const limits = { requests_per_minute: int(form.rpm), tokens_per_minute: int(form.tpm), concurrent_requests: int(form.concurrent) };
    try {
      const key = await api.call<CreatedInferenceKeyView>('createKey', {
        body: { name: form.name, ...(Object.values(limits).some((v) => v !== undefined) ? { limits } : {}) },
      });
      setCreated(key);
      setForm({ name: '', rpm: '', tpm: '', concurrent: '' });
      await keys.reload();
    } catch (e) {
      setError(errorFor(e, FIELDS));
    }
  };
  const revoke = async (id: string) => {
    setError(undefined);
    try {
      await api.call('revokeKey', { params: { key_id: id } });
      if (created?.id === id) setCreated(undefined);
      await keys.reload();
    } catch (e) {
      setError(errorFor(e, []));
    }
  };
  const fieldError = (name: string) => (error?.field === name ? error.message : undefined);

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Inference keys</h1>
      <p class="hint">Keys call the OpenAI-compatible endpoints of project {session.project_id}'s deployments.</p>
      <form
        class="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <Field id="key-name" label="Name" error={fieldError('name')}>
          <input id="key-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} autocomplete="off" />
        </Field>
        <Field id="key-rpm" label="Requests/min (optional)" error={fieldError('requests_per_minute')}>
          <input id="key-rpm" type="number" min={1} value={form.rpm} onInput={(e) => setForm({ ...form, rpm: e.currentTarget.value })} />
        </Field>
        <Field id="key-tpm" label="Tokens/min (optional)" error={fieldError('tokens_per_minute')}>
          <input id="key-tpm" type="number" min={1} value={form.tpm} onInput={(e) => setForm({ ...form, tpm: e.currentTarget.value })} />
        </Field>
        <Field id="key-concurrent" label="Concurrent (optional)" error={fieldError('concurrent_requests')}>
          <input id="key-concurrent" type="number" min={1} value={form.concurrent} onInput={(e) => setForm({ ...form, concurrent: e.currentTarget.value })} />
        </Field>
        <button type="submit" class="button primary">
          Create key
        </button>
      </form>
      <FormError message={error && !error.field ? error.message : undefined} />
      {created ? (
        <div class="card secret" role="status" id="new-key">
          <h2>Key “{created.name}” created</h2>
          <p>Copy it now: it is not shown again.</p>
          <input class="mono" readOnly value={created.key} aria-label="The new key" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="button" onClick={() => void navigator.clipboard?.writeText(created.key)}>
            Copy
          </button>
          <button type="button" class="button" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      ) : null}
      {!keys.data ? (
        <Loading error={keys.error} />
      ) : keys.data.items.length === 0 ? (
        <p class="empty">No keys yet.</p>
      ) : (
        <table class="list" id="keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col">Limits</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((k) => (
              <tr key={k.id} data-key={k.id}>
                <td>{k.name}</td>
                <td class="mono">{k.key_prefix}…</td>
                <td>{time(k.created_at)}</td>
                <td>{time(k.expires_at)}</td>
                <td>
                  <span class={`badge badge-key-${k.state}`}>{k.state}</span>
                  {k.revoked_at ? <span class="hint"> {time(k.revoked_at)}</span> : null}
                </td>
                <td>
                  {[
                    k.limits?.requests_per_minute ? `${k.limits.requests_per_minute} rpm` : '',
                    k.limits?.tokens_per_minute ? `${k.limits.tokens_per_minute} tpm` : '',
                    k.limits?.concurrent_requests ? `${k.limits.concurrent_requests} concurrent` : '',
                  ]
                    .filter((s) => s)
                    .join(', ') || '—'}
                </td>
                <td>
                  <div class="actions">
                  <button type="button" class="button" onClick={() => setUsageOf(usageOf === k.id ? undefined : k.id)} aria-expanded={usageOf === k.id}>
                    Usage
                  </button>
                  {k.state === 'active' ? (
                    <button type="button" class="button danger" onClick={() => void revoke(k.id)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </button>
                  ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {usageOf ? <KeyUsage id={usageOf} /> : null}
    </section>
  );
};

const KeyUsage = ({ id }: { id: string }) => {
  const { api } = useApp();
  const usage = usePoll(() => api.call<InferenceKeyUsageView>('keyUsage', { params: { key_id: id } }), 10_000, [id]);
  return (
    <section class="card" aria-labelledby="key-usage-title">
      <h2 id="key-usage-title">Usage of {id}</h2>
      {usage.data ? (
        <p id="key-usage-total">
          {usage.data.total.requests} requests, {usage.data.total.prompt_tokens} prompt and {usage.data.total.completion_tokens} completion tokens
        </p>
      ) : null}
      {!usage.data ? (
        <Loading error={usage.error} />
      ) : usage.data.days.length === 0 ? (
        <p class="empty">No requests yet.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Deployment</th>
              <th scope="col" class="num">Requests</th>
              <th scope="col" class="num">Prompt tokens</th>
              <th scope="col" class="num">Completion tokens</th>
              <th scope="col" class="num">Estimated</th>
            </tr>
          </thead>
          <tbody>
            {usage.data.days.map((u) => (
              <tr key={`${u.date}-${u.deployment_id}`}>
                <td>{u.date}</td>
                <td class="mono">{u.deployment_id}</td>
                <td class="num">{u.requests}</td>
                <td class="num">{u.prompt_tokens}</td>
                <td class="num">{u.completion_tokens}</td>
                <td class="num">{u.estimated_requests}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
};
