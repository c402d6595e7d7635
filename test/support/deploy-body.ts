/** The smallest catalog deploy (Qwen2.5 0.5B on one L4), with whatever a test or a bench adds. Free of vitest, so benches can use it. */
export const deployBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  ...extra,
});
