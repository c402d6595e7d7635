/** GET /api/v1beta1/inventory: GPU configurations, their plans and GPUs per replica. */
import { apiHandler, callerOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { INVENTORY } from '../../contract/catalog';

const items = INVENTORY.gpu_configs.map((config) => ({
  config_id: config.config_id,
  gpu_type: config.gpu_type,
  gpu_memory_gib: config.gpu_memory_gib,
  region: config.region,
  instance_type: config.instance_type,
  max_gpu_count: config.gpus_per_node,
  max_gpus_total: config.gpus_per_node * config.node_group.max_size,
  node_group: config.node_group.name,
  plans: config.plans,
}));

export const listInventory = async (event: ApiEvent): Promise<ApiResult> => {
  callerOf(event);
  return json(200, { items, pagination: { total_items: items.length, total_pages: 1, current_page: 1, items_per_page: items.length } });
};

export const handler = apiHandler(listInventory);
