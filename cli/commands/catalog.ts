/**
 * gpuctl catalog, recipes and inventory: what can be deployed, on which GPUs, at what price; and
 * catalog administration (role admin): add, update and retire a model.
 */
import type { Command } from 'commander';
import type { CatalogModel, CatalogModelDraft, CatalogPatchDraft } from '../api';
import { clientFor, globals, print, printJson, readObjectFile, show, tableCommand } from './shared';

interface CatalogOptions {
  includeRetired?: boolean;
}

export const describeCatalogModel = (m: CatalogModel): string => {
  const rows: [string, string][] = [
    ['id', m.id],
    ['name', `${m.name} (${m.vendor})`],
    ['model', `${m.model_id}${m.revision ? `@${m.revision}` : ''}`],
    ['size', `${m.parameters_billion}B parameters, ${m.dtype}, ${m.weights_gib} GiB of weights`],
    ['recommended', `${m.recommended_gpu.gpu_count}x${m.recommended_gpu.gpu_config_id}${m.gpu_constraint_description ? ` (${m.gpu_constraint_description})` : ''}`],
    ['max_model_len', `${m.configurations.max_model_len.min}-${m.configurations.max_model_len.max}, default ${m.configurations.max_model_len.default}`],
    ['max_num_seqs', `${m.configurations.max_num_seqs.min}-${m.configurations.max_num_seqs.max}, default ${m.configurations.max_num_seqs.default}`],
    ['gated', m.gated ? 'yes (deploying it needs an hf_token)' : 'no'],
    ['tags', m.tags.join(', ')],
  ];
  return rows
    .filter(([, v]) => v)
    .map(([k, v]) => `${k.padEnd(14)}${v}`)
    .join('\n');
};

export const registerCatalog = (program: Command): void => {
  const catalog = tableCommand(program, {
    name: 'catalog',
    description: 'List the models that can be deployed; add, update and retire one (role admin)',
    options: (command) => command.option('--include-retired', 'also list retired models (role admin)'),
    request: (client, options: CatalogOptions) => client.call('list-catalog', {}, { query: { include_retired: options.includeRetired ? 'true' : undefined } }),
    columns: [
      ['ID', (m) => m.id],
      ['NAME', (m) => m.name],
      ['PARAMS', (m) => `${m.parameters_billion}B`],
      ['DTYPE', (m) => m.dtype],
      ['WEIGHTS', (m) => `${m.weights_gib} GiB`],
      ['RECOMMENDED', (m) => `${m.recommended_gpu.gpu_count}x${m.recommended_gpu.gpu_config_id}`],
      ['MAX_MODEL_LEN', (m) => `${m.configurations.max_model_len.min}-${m.configurations.max_model_len.max}`],
      ['GATED', (m) => (m.gated ? 'yes' : 'no')],
    ],
    footer: ({ items }) => {
      const retired = items.filter((m) => m.retired_at);
      return retired.length > 0 ? `retired: ${retired.map((m) => `${m.id} (${m.retired_at})`).join(', ')}` : undefined;
    },
  });

  catalog
    .command('add')
    .description('Add a model to the catalog (role admin), from a YAML/JSON file: the POST body (model_id, name, vendor, architecture, ...)')
    .requiredOption('-f, --file <path>', 'the model definition (YAML or JSON), - for stdin')
    .addHelpText('after', '\nThe fields are those of POST /api/v1beta1/aimodels-catalog (docs/api.md); the API checks the model fits its recommended GPU.')
    .action(async (options: { file: string }, command: Command) => {
      const body: CatalogModelDraft = await readObjectFile(options.file, 'a catalog model: model_id, name, vendor, parameters_billion, dtype, architecture, ...');
      const added = await clientFor(command).call('create-catalog-model', {}, { body });
      show(command, added, (m) => `added to the catalog:\n${describeCatalogModel(m)}`);
    });

  catalog
    .command('update')
    .description('Change a catalog model (role admin): the fields given replace the stored ones; null clears revision or gpu_constraint_description')
    .argument('<catalog_id>', 'catalog id (gpuctl catalog)')
    .requiredOption('-f, --file <path>', 'the fields to change (YAML or JSON), - for stdin')
    .action(async (id: string, options: { file: string }, command: Command) => {
      const body: CatalogPatchDraft = await readObjectFile(options.file, 'the catalog fields to change');
      const updated = await clientFor(command).call('update-catalog-model', { catalog_id: id }, { body });
      show(command, updated, (m) => `updated:\n${describeCatalogModel(m)}`);
    });

  catalog
    .command('retire')
    .description('Retire a catalog model (role admin): no new deploys of it; running deployments keep working')
    .argument('<catalog_id>', 'catalog id')
    .action(async (id: string, _options: object, command: Command) => {
      await clientFor(command).call('retire-catalog-model', { catalog_id: id });
      if (globals(command).output === 'json') return printJson({ id, retired: true });
      print(`${id} retired: no new deploys (gpuctl catalog --include-retired lists it)`);
    });

  tableCommand(program, {
    name: 'recipes',
    description: 'List deployment recipes: named deploy bodies (gpuctl deploy --recipe NAME --name ...)',
    request: (client) => client.call('list-recipes'),
    columns: [
      ['NAME', (r) => r.name],
      ['MODEL', (r) => r.deploy_body.catalog_id],
      ['GPUS', (r) => `${r.deploy_body.gpu_count}x${r.deploy_body.gpu_config_id}`],
      ['REPLICAS', (r) => r.deploy_body.replicas],
      ['MAX_MODEL_LEN', (r) => r.deploy_body.config.max_model_len],
      ['AVAILABLE', (r) => (r.available ? 'yes' : 'no (model retired)')],
      ['DESCRIPTION', (r) => r.description],
    ],
  });

  tableCommand(program, {
    name: 'inventory',
    description: 'List GPU configurations, their limits and price plans',
    request: (client) => client.call('list-inventory'),
    columns: [
      ['CONFIG_ID', (g) => g.config_id],
      ['GPU', (g) => g.gpu_type],
      ['MEMORY', (g) => `${g.gpu_memory_gib} GiB`],
      ['REGION', (g) => g.region],
      ['INSTANCE', (g) => g.instance_type],
      ['MAX_GPUS/REPLICA', (g) => g.max_gpu_count],
      ['MAX_GPUS', (g) => g.max_gpus_total],
      ['PLANS', (g) => g.plans.map((p) => `${p.plan_id} ${p.unit_price} ${p.currency}/GPU-h`).join(', ')],
    ],
  });
};
