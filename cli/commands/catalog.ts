/** gpuctl catalog and inventory: what can be deployed, on which GPUs, at what price. */
import type { Command } from 'commander';
import { tableCommand } from './shared';

export const registerCatalog = (program: Command): void => {
  tableCommand(program, {
    name: 'catalog',
    description: 'List the models that can be deployed',
    request: (client) => client.call('list-catalog'),
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
