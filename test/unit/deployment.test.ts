import { describe, expect, it } from 'vitest';
import { CATALOG, INVENTORY, weightsGiB } from '../../contract/catalog';
import { executionConsoleUrl, uptimeSeconds } from '../../functions/domain/deployment';
import { modelLoadBudgetSeconds } from '../../functions/domain/startup';
import { newDeploymentId } from '../../functions/domain/ids';

describe('uptime_seconds', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('counts whole seconds since the deployment most recently became ready', () => {
    expect(uptimeSeconds({ status: 'ready', ready_since: '2026-11-23T11:58:59.500Z' }, now)).toBe(60);
  });
  it('is 0 when not ready, whatever was recorded', () => {
    expect(uptimeSeconds({ status: 'initializing', ready_since: null }, now)).toBe(0);
    expect(uptimeSeconds({ status: 'failed', ready_since: '2026-11-23T11:00:00Z' }, now)).toBe(0);
    expect(uptimeSeconds({ status: 'ready', ready_since: null }, now)).toBe(0);
  });
});

describe('catalog and inventory data', () => {
  it('has the required models and GPU configs, each recommendation resolvable', () => {
    const ids = CATALOG.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['Qwen-Qwen2.5-0.5B-Instruct', 'meta-llama-Llama-3.1-8B-Instruct']));
    expect(CATALOG.some((m) => m.parameters_billion >= 13 && m.parameters_billion < 15)).toBe(true);
    expect(CATALOG.some((m) => m.parameters_billion >= 70)).toBe(true);
    const gpus = INVENTORY.gpu_configs.map((g) => g.gpu_type);
    for (const gpu of ['L4', 'A10G', 'L40S', 'A100', 'H100', 'H200']) expect(gpus.join(' ')).toContain(gpu);
    for (const model of CATALOG) {
      const config = INVENTORY.gpu_configs.find((g) => g.config_id === model.recommended_gpu.gpu_config_id);
      expect(config, model.id).toBeDefined();
      expect(model.recommended_gpu.gpu_count).toBeLessThanOrEqual(config!.gpus_per_node);
      expect(model.configurations.max_model_len.min).toBeLessThanOrEqual(model.configurations.max_model_len.default);
      // the recommended GPUs hold the weights with room left for the KV cache
      expect(weightsGiB(model)).toBeLessThan(0.9 * config!.gpu_memory_gib * model.recommended_gpu.gpu_count);
    }
  });

  it('gives a 70B model a far longer startup budget than a 0.5B one', () => {
    const small = CATALOG.find((m) => m.id === 'Qwen-Qwen2.5-0.5B-Instruct')!;
    const large = CATALOG.find((m) => m.parameters_billion >= 70)!;
    expect(modelLoadBudgetSeconds(large)).toBeGreaterThan(5 * modelLoadBudgetSeconds(small));
    expect(modelLoadBudgetSeconds(small, 7200)).toBe(7200);
    expect(modelLoadBudgetSeconds(large, 60)).toBe(modelLoadBudgetSeconds(large));
  });
});

describe('ids and links', () => {
  it('deployment ids sort by creation time', () => {
    const a = newDeploymentId(new Date('2026-01-01T00:00:00Z'));
    const b = newDeploymentId(new Date('2026-01-01T00:00:01Z'));
    expect(a).toMatch(/^dep-[a-z0-9]{17}$/);
    expect(a < b).toBe(true);
  });
  it('links an execution to its Step Functions console page in its region', () => {
    expect(executionConsoleUrl('arn:aws:states:eu-west-1:123:execution:m:n')).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123:execution:m:n',
    );
  });
});
