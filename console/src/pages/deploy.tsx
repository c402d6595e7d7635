/** Deploy a catalog model on a GPU config of the inventory, after seeing the dry-run plan. */
import { useState } from 'preact/hooks';
import { errorFor } from '../api';
import type { CatalogList, DeploymentView, DryRunPlan, InventoryList } from '../types';
import { Field, FormError, Loading, money, useApp, usePoll } from '../ui';

const FIELDS = ['name', 'catalog_id', 'region', 'gpu_config_id', 'gpu_count', 'plan_id', 'replicas', 'config.max_model_len', 'config.max_num_seqs', 'autoscaling.min_replicas', 'autoscaling.max_replicas'];

export const DeployPage = () => {
  const { api } = useApp();
  const catalog = usePoll(() => api.call<CatalogList>('listCatalog'), 0, []);
  const inventory = usePoll(() => api.call<InventoryList>('listInventory'), 30_000, []);
  const [form, setForm] = useState({ name: '', catalog_id: '', gpu_config_id: '', gpu_count: '1', replicas: '1', max_model_len: '', max_num_seqs: '', min_replicas: '', max_replicas: '' });
  const [plan, setPlan] = useState<DryRunPlan | undefined>(undefined);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  if (!catalog.data || !inventory.data) return <Loading error={catalog.error ?? inventory.error} />;
  const model = catalog.data.items.find((m) => m.id === form.catalog_id);
  const gpu = inventory.data.items.find((i) => i.config_id === form.gpu_config_id);

  const set = (key: keyof typeof form) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setForm((f) => {
      const next = { ...f, [key]: value };
      // Picking a model fills in what the catalog recommends for it.
      const picked = key === 'catalog_id' ? catalog.data?.items.find((m) => m.id === value) : undefined;
      if (picked) {
        next.gpu_config_id = picked.recommended_gpu.gpu_config_id;
        next.gpu_count = String(picked.recommended_gpu.gpu_count);
        if (!f.name) next.name = picked.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 30).replace(/-$/, '');
      }
      return next;
    });
    setPlan(undefined);
    setError(undefined);
  };

  const body = () => {
    const int = (value: string) => (value.trim() === '' ? undefined : Number(value));
    const config = { max_model_len: int(form.max_model_len), max_num_seqs: int(form.max_num_seqs) };
    const min = int(form.min_replicas);
    const max = int(form.max_replicas);
    return {
      name: form.name,
      catalog_id: form.catalog_id,
      region: gpu?.region ?? '',
      gpu_config_id: form.gpu_config_id,
      gpu_count: int(form.gpu_count),
      plan_id: gpu?.plans[0]?.plan_id ?? '',
      replicas: int(form.replicas),
      ...(config.max_model_len !== undefined || config.max_num_seqs !== undefined ? { config } : {}),
      ...(min !== undefined || max !== undefined ? { autoscaling: { min_replicas: min, max_replicas: max } } : {}),
    };
  };

  const submit = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (dryRun) setPlan(await api.call<DryRunPlan>('createDeployment', { query: { dry_run: true }, body: body() }));
      else {
        const created = await api.call<DeploymentView>('createDeployment', { body: body() });
        location.hash = `#/deployments/${encodeURIComponent(created.id)}`;
      }
    } catch (e) {
      setError(errorFor(e, FIELDS));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: string) => (error?.field === name ? error.message : undefined);

  return (
    <section aria-labelledby="deploy-title">
      <h1 id="deploy-title">Deploy a model</h1>
      <form
        class="form grid-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(true);
        }}
      >
        <Field id="catalog_id" label="Model" error={fieldError('catalog_id')}>
          <select id="catalog_id" value={form.catalog_id} onChange={set('catalog_id')} required>
            <option value="">Choose a model…</option>
            {catalog.data.items.map((m) => (
              <option value={m.id} key={m.id}>
                {m.name} ({m.parameters_billion}B, {m.weights_gib} GiB{m.gated ? ', gated' : ''})
              </option>
            ))}
          </select>
        </Field>
        <Field id="name" label="Deployment name" error={fieldError('name')} hint="Lowercase letters, digits and hyphens; 3 to 30.">
          <input id="name" value={form.name} onInput={set('name')} autocomplete="off" />
        </Field>
        <Field id="gpu_config_id" label="GPU" error={fieldError('gpu_config_id') ?? fieldError('region') ?? fieldError('plan_id')}>
          <select id="gpu_config_id" value={form.gpu_config_id} onChange={set('gpu_config_id')}>
            <option value="">Choose a GPU config…</option>
            {inventory.data.items.map((i) => (
              <option value={i.config_id} key={i.config_id}>
                {i.gpu_type} {i.gpu_memory_gib} GiB · {i.region} · up to {i.max_gpu_count}/replica · {money(i.plans[0]?.unit_price ?? 0, i.plans[0]?.currency)}/GPU-h
              </option>
            ))}
          </select>
        </Field>
        <Field id="gpu_count" label="GPUs per replica" error={fieldError('gpu_count')}>
          <input id="gpu_count" type="number" min={1} max={gpu?.max_gpu_count} value={form.gpu_count} onInput={set('gpu_count')} />
        </Field>
        <Field id="replicas" label="Replicas" error={fieldError('replicas')}>
          <input id="replicas" type="number" min={1} value={form.replicas} onInput={set('replicas')} />
        </Field>
        <Field
          id="max_model_len"
          label="Max model length"
          error={fieldError('config.max_model_len')}
          hint={model ? `${model.configurations.max_model_len.min}–${model.configurations.max_model_len.max}, default ${model.configurations.max_model_len.default}` : undefined}
        >
          <input id="max_model_len" type="number" value={form.max_model_len} onInput={set('max_model_len')} placeholder={model ? String(model.configurations.max_model_len.default) : ''} />
        </Field>
        <Field
          id="max_num_seqs"
          label="Max concurrent sequences"
          error={fieldError('config.max_num_seqs')}
          hint={model ? `${model.configurations.max_num_seqs.min}–${model.configurations.max_num_seqs.max}, default ${model.configurations.max_num_seqs.default}` : undefined}
        >
          <input id="max_num_seqs" type="number" value={form.max_num_seqs} onInput={set('max_num_seqs')} placeholder={model ? String(model.configurations.max_num_seqs.default) : ''} />
        </Field>
        <Field id="min_replicas" label="Autoscaling: min replicas (optional)" error={fieldError('autoscaling.min_replicas')}>
          <input id="min_replicas" type="number" min={0} value={form.min_replicas} onInput={set('min_replicas')} />
        </Field>
        <Field id="max_replicas" label="Autoscaling: max replicas (optional)" error={fieldError('autoscaling.max_replicas')}>
          <input id="max_replicas" type="number" min={1} value={form.max_replicas} onInput={set('max_replicas')} />
        </Field>
        <FormError message={error && !error.field ? error.message : undefined} />
        <div class="actions">
          <button type="submit" class="button" disabled={busy}>
            Check the plan
          </button>
          <button type="button" class="button primary" id="deploy-now" disabled={busy || !plan || !plan.would_be_accepted} onClick={() => void submit(false)}>
            Deploy
          </button>
        </div>
      </form>
      {plan ? <PlanView plan={plan} /> : <p class="hint">Check the plan to see memory fit, nodes and cost before anything starts.</p>}
    </section>
  );
};

const PlanView = ({ plan }: { plan: DryRunPlan }) => {
  const m = plan.memory;
  return (
    <section class="card plan" aria-labelledby="plan-title" id="plan">
      <h2 id="plan-title">Plan {plan.would_be_accepted ? '' : '— not enough free GPUs now'}</h2>
      <dl class="facts">
        <dt>Memory</dt>
        <dd>
          {'checked' in m && m.checked === false
            ? `not checked: ${m.reason}`
            : `${m.neededGiB.toFixed(1)} GiB needed of ${m.availableGiB.toFixed(1)} GiB per replica: ${m.fits ? 'fits' : 'does NOT fit'}`}
          {'kvCacheGiB' in m ? ` (weights ${m.weightsGiB.toFixed(1)}, KV cache ${m.kvCacheGiB.toFixed(1)}, overhead ${m.overheadGiB.toFixed(1)})` : null}
        </dd>
        <dt>Nodes</dt>
        <dd>
          {plan.capacity.nodes_to_add} to add in {plan.capacity.node_group} ({plan.capacity.instance_type}); {plan.capacity.gpus_to_reserve} GPUs to reserve,{' '}
          {plan.capacity.gpus_reserved} of {plan.capacity.gpus_limit} reserved now
        </dd>
        <dt>Replicas</dt>
        <dd>
          {plan.replicas}
          {plan.autoscaling ? ` (range ${plan.autoscaling.min_replicas}–${plan.autoscaling.max_replicas})` : ''}
        </dd>
        <dt>Cost</dt>
        <dd>
          <strong>{money(plan.cost.per_minute, plan.cost.currency)}</strong> per minute ({money(plan.cost.per_hour, plan.cost.currency)} per hour): {plan.cost.formula}
        </dd>
      </dl>
    </section>
  );
};
