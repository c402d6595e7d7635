/** Catalog administration (role admin): every model, retired ones too; add, update, retire. */
import { useState } from 'preact/hooks';
import { errorFor } from '../api';
import type { CatalogList, CatalogListItem, InventoryList } from '../types';
import { Field, FormError, Loading, time, useApp, usePoll } from '../ui';

const FIELDS = [
  'id',
  'model_id',
  'name',
  'vendor',
  'parameters_billion',
  'dtype',
  'architecture.num_layers',
  'architecture.num_kv_heads',
  'architecture.head_dim',
  'configurations.max_model_len.max',
  'configurations.max_model_len.default',
  'configurations.max_num_seqs.max',
  'configurations.max_num_seqs.default',
  'recommended_gpu.gpu_config_id',
  'recommended_gpu.gpu_count',
  'catalog_id',
];
const DTYPES = ['bfloat16', 'float16', 'float32', 'fp8', 'int8', 'int4'];
const EMPTY = {
  model_id: '',
  name: '',
  vendor: '',
  parameters_billion: '',
  dtype: 'bfloat16',
  num_layers: '',
  num_kv_heads: '',
  head_dim: '128',
  len_max: '32768',
  len_default: '8192',
  seqs_max: '256',
  seqs_default: '64',
  gpu_config_id: '',
  gpu_count: '1',
};

export const CatalogPage = () => {
  const { api, session } = useApp();
  const catalog = usePoll(() => api.call<CatalogList>('listCatalog', { query: { include_retired: true } }), 0, []);
  const inventory = usePoll(() => api.call<InventoryList>('listInventory'), 0, []);
  const [editing, setEditing] = useState<CatalogListItem | 'new' | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  if (session.role !== 'admin') return <p class="form-error">The catalog administration needs the admin role; this session is {session.role}.</p>;
  if (!catalog.data || !inventory.data) return <Loading error={catalog.error ?? inventory.error} />;
  const retire = async (id: string) => {
    setError(undefined);
    try {
      await api.call('retireCatalogModel', { params: { catalog_id: id } });
      await catalog.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section aria-labelledby="catalog-title">
      <header class="page-header">
        <h1 id="catalog-title">Catalog</h1>
        <button type="button" class="button primary" onClick={() => setEditing('new')}>
          Add a model
        </button>
      </header>
      <FormError message={error} />
      {editing ? (
        <CatalogForm
          item={editing === 'new' ? undefined : editing}
          gpuConfigs={inventory.data.items.map((i) => i.config_id)}
          onDone={async () => {
            setEditing(undefined);
            await catalog.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
      <table class="list" id="catalog">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col" class="num">Params</th>
            <th scope="col" class="num">Weights</th>
            <th scope="col">Recommended GPU</th>
            <th scope="col">State</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {catalog.data.items.map((m) => (
            <tr key={m.id} class={m.retired_at ? 'retired' : ''}>
              <td class="mono">{m.id}</td>
              <td>{m.name}</td>
              <td class="num">{m.parameters_billion}B</td>
              <td class="num">{m.weights_gib} GiB</td>
              <td>
                {m.recommended_gpu.gpu_count} × {m.recommended_gpu.gpu_config_id}
              </td>
              <td>{m.retired_at ? `retired ${time(m.retired_at)}` : m.gated ? 'offered (gated)' : 'offered'}</td>
              <td>
                  <div class="actions">
                <button type="button" class="button" onClick={() => setEditing(m)} aria-label={`Edit ${m.id}`}>
                  Edit
                </button>
                {m.retired_at ? null : (
                  <button type="button" class="button danger" onClick={() => void retire(m.id)} aria-label={`Retire ${m.id}`}>
                    Retire
                  </button>
                )}
                  </div>
                </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};

const CatalogForm = ({ item, gpuConfigs, onDone, onCancel }: { item?: CatalogListItem; gpuConfigs: string[]; onDone: () => Promise<void>; onCancel: () => void }) => {
  const { api } = useApp();
  const [form, setForm] = useState(
    item
      ? {
          ...EMPTY,
          model_id: item.model_id,
          name: item.name,
          vendor: item.vendor,
          parameters_billion: String(item.parameters_billion),
          dtype: item.dtype,
          len_max: String(item.configurations.max_model_len.max),
          len_default: String(item.configurations.max_model_len.default),
          seqs_max: String(item.configurations.max_num_seqs.max),
          seqs_default: String(item.configurations.max_num_seqs.default),
          gpu_config_id: item.recommended_gpu.gpu_config_id,
          gpu_count: String(item.recommended_gpu.gpu_count),
        }
      : EMPTY,
  );
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const set = (key: keyof typeof EMPTY) => (e: Event) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });
  const fieldError = (...names: string[]) => (error?.field && names.includes(error.field) ? error.message : undefined);

  const submit = async () => {
    setError(undefined);
    const configurations = {
      max_model_len: { min: item?.configurations.max_model_len.min ?? 256, max: Number(form.len_max), default: Number(form.len_default) },
      max_num_seqs: { min: item?.configurations.max_num_seqs.min ?? 1, max: Number(form.seqs_max), default: Number(form.seqs_default) },
    };
    const recommended_gpu = { gpu_config_id: form.gpu_config_id, gpu_count: Number(form.gpu_count) };
    try {
      if (item) {
        await api.call('updateCatalogModel', {
          params: { catalog_id: item.id },
          body: { name: form.name, vendor: form.vendor, configurations, recommended_gpu },
        });
      } else {
        await api.call('addCatalogModel', {
          body: {
            model_id: form.model_id,
            name: form.name,
            vendor: form.vendor,
            parameters_billion: Number(form.parameters_billion),
            dtype: form.dtype,
            architecture: { num_layers: Number(form.num_layers), num_kv_heads: Number(form.num_kv_heads), head_dim: Number(form.head_dim) },
            configurations,
            recommended_gpu,
          },
        });
      }
      await onDone();
    } catch (e) {
      setError(errorFor(e, FIELDS));
    }
  };
  return (
    <form
      class="card form grid-form"
      aria-labelledby="catalog-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="catalog-form-title">{item ? `Update ${item.id}` : 'Add a model'}</h2>
      {item ? null : (
        <>
          <Field id="cat-model_id" label="Hugging Face model id" error={fieldError('model_id', 'id')}>
            <input id="cat-model_id" value={form.model_id} onInput={set('model_id')} placeholder="owner/name" />
          </Field>
          <Field id="cat-parameters" label="Parameters (billions)" error={fieldError('parameters_billion')}>
            <input id="cat-parameters" type="number" step="any" value={form.parameters_billion} onInput={set('parameters_billion')} />
          </Field>
          <Field id="cat-dtype" label="Weights dtype" error={fieldError('dtype')}>
            <select id="cat-dtype" value={form.dtype} onChange={set('dtype')}>
              {DTYPES.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </Field>
          <Field id="cat-layers" label="Layers" error={fieldError('architecture.num_layers')}>
            <input id="cat-layers" type="number" value={form.num_layers} onInput={set('num_layers')} />
          </Field>
          <Field id="cat-kv" label="KV heads" error={fieldError('architecture.num_kv_heads')}>
            <input id="cat-kv" type="number" value={form.num_kv_heads} onInput={set('num_kv_heads')} />
          </Field>
          <Field id="cat-head-dim" label="Head dim" error={fieldError('architecture.head_dim')}>
            <input id="cat-head-dim" type="number" value={form.head_dim} onInput={set('head_dim')} />
          </Field>
        </>
      )}
      <Field id="cat-name" label="Name" error={fieldError('name')}>
        <input id="cat-name" value={form.name} onInput={set('name')} />
      </Field>
      <Field id="cat-vendor" label="Vendor" error={fieldError('vendor')}>
        <input id="cat-vendor" value={form.vendor} onInput={set('vendor')} />
      </Field>
      <Field id="cat-len-max" label="max_model_len: max" error={fieldError('configurations.max_model_len.max')}>
        <input id="cat-len-max" type="number" value={form.len_max} onInput={set('len_max')} />
      </Field>
      <Field id="cat-len-default" label="max_model_len: default" error={fieldError('configurations.max_model_len.default')}>
        <input id="cat-len-default" type="number" value={form.len_default} onInput={set('len_default')} />
      </Field>
      <Field id="cat-seqs-max" label="max_num_seqs: max" error={fieldError('configurations.max_num_seqs.max')}>
        <input id="cat-seqs-max" type="number" value={form.seqs_max} onInput={set('seqs_max')} />
      </Field>
      <Field id="cat-seqs-default" label="max_num_seqs: default" error={fieldError('configurations.max_num_seqs.default')}>
        <input id="cat-seqs-default" type="number" value={form.seqs_default} onInput={set('seqs_default')} />
      </Field>
      <Field id="cat-gpu" label="Recommended GPU config" error={fieldError('recommended_gpu.gpu_config_id')}>
        <select id="cat-gpu" value={form.gpu_config_id} onChange={set('gpu_config_id')}>
          <option value="">Choose…</option>
          {gpuConfigs.map((g) => (
            <option key={g}>{g}</option>
          ))}
        </select>
      </Field>
      <Field id="cat-gpu-count" label="Recommended GPU count" error={fieldError('recommended_gpu.gpu_count')}>
        <input id="cat-gpu-count" type="number" min={1} value={form.gpu_count} onInput={set('gpu_count')} />
      </Field>
      <FormError message={error && !error.field ? error.message : undefined} />
      <div class="actions">
        <button type="submit" class="button primary">
          {item ? 'Save' : 'Add'}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
};
