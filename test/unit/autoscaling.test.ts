import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { checkNewRange, checkRangeFits, checkReplicas, clampReplicas, initialReplicas, replicaBounds, resolveAutoscaling, resolveLoadScaling } from '../../functions/domain/autoscaling';
import { LOAD_SCALING_DEFAULTS } from '../../contract/requests/scale';
import { findGpuConfig } from '../../contract/catalog';
import { ValidationError } from '../../functions/domain/errors';
import { countInstances } from '../../functions/domain/pod-status';
import { instanceCountsStale } from '../../functions/domain/reconcile';
import { MAX_REPLICAS } from '../../functions/domain/capacity';
import { createDeploymentSchema } from '../../contract/requests/deploy';
import { parseOrThrow } from '../../functions/domain/requests';

const base = {
  name: 'qwen-small',
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  plan_id: 'plan-l4-24gb-ondemand',
};

const parse = (extra: Record<string, unknown>) => parseOrThrow(createDeploymentSchema, { ...base, ...extra });

const rejected = (fn: () => unknown): ValidationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('scale range spellings', () => {
  it.each([
    ['autoscaling', { autoscaling: { min_replicas: 0, max_replicas: 3 } }],
    ['settings', { settings: { min_instances: 0, max_instances: 3 } }],
    ['autoscaling_config', { autoscaling_config: { min_replicas: 0, max_replicas: 3 } }],
  ])('stores %s as one canonical range', (field, extra) => {
    expect(resolveAutoscaling(parse(extra))).toEqual({ range: { min_replicas: 0, max_replicas: 3 }, field });
  });

  it('accepts several spellings that agree', () => {
    const resolved = resolveAutoscaling(parse({ autoscaling: { min_replicas: 1, max_replicas: 2 }, settings: { min_instances: 1, max_instances: 2 } }));
    expect(resolved.range).toEqual({ min_replicas: 1, max_replicas: 2 });
  });

  it('rejects spellings that disagree, naming the later field', () => {
    const error = rejected(() =>
      resolveAutoscaling(parse({ autoscaling: { min_replicas: 1, max_replicas: 2 }, settings: { min_instances: 1, max_instances: 3 } })),
    );
    expect(error.field).toBe('settings.max_instances');
    expect(error.message).toContain('conflicts with autoscaling.max_replicas');
    const jan = rejected(() =>
      resolveAutoscaling(parse({ settings: { min_instances: 0, max_instances: 2 }, autoscaling_config: { min_replicas: 1, max_replicas: 2 } })),
    );
    expect(jan.field).toBe('autoscaling_config.min_replicas');
  });

  it('rejects min above max, and bounds outside 0..MAX_REPLICAS, naming the field', () => {
    expect(rejected(() => resolveAutoscaling(parse({ settings: { min_instances: 3, max_instances: 2 } }))).field).toBe('settings.min_instances');
    expect(rejected(() => parse({ autoscaling: { min_replicas: -1, max_replicas: 2 } })).field).toBe('autoscaling.min_replicas');
    expect(rejected(() => parse({ autoscaling: { min_replicas: 0, max_replicas: 0 } })).field).toBe('autoscaling.max_replicas');
    expect(rejected(() => parse({ settings: { min_instances: 0, max_instances: MAX_REPLICAS + 1 } })).field).toBe('settings.max_instances');
    expect(rejected(() => parse({ autoscaling: { min_replicas: 1 } })).field).toBe('autoscaling.max_replicas');
    expect(rejected(() => parse({ settings: 3 })).message).toContain('settings must be an object');
  });

  it("refuses a Jan target_value that is not a positive number", () => {
    const error = rejected(() => parse({ autoscaling_config: { min_replicas: 1, max_replicas: 5, target_value: 'many' } }));
    expect(error.field).toBe('autoscaling_config.target_value');
    expect(rejected(() => parse({ autoscaling_config: { min_replicas: 1, max_replicas: 5, target_value: 0 } })).field).toBe('autoscaling_config.target_value');
  });
});

describe('load scaling settings', () => {
  const load = (extra: Record<string, unknown>) => {
    const request = parse(extra);
    return resolveLoadScaling(request, resolveAutoscaling(request));
  };

  it('stays off for a range alone, ours or Jan\'s, as before', () => {
    expect(load({ autoscaling: { min_replicas: 0, max_replicas: 3 } })).toBeNull();
    expect(load({ autoscaling_config: { min_replicas: 0, max_replicas: 3 } })).toBeNull();
    expect(load({})).toBeNull();
  });

  it('turns on with enabled or any setting, filling in the LLM defaults', () => {
    expect(load({ autoscaling: { min_replicas: 0, max_replicas: 3, enabled: true } })).toEqual(LOAD_SCALING_DEFAULTS);
    expect(load({ autoscaling: { min_replicas: 1, max_replicas: 3, target: { metric: 'queue', value: 10 }, scale_up_delay_seconds: 60 } })).toEqual({
      ...LOAD_SCALING_DEFAULTS,
      target: { metric: 'queue', value: 10 },
      scale_up_delay_seconds: 60,
    });
  });

  it("maps Jan's enable_autoscaling and target_value (a concurrency target), and DeepInfra's settings (their platform scales between min and max)", () => {
    expect(load({ enable_autoscaling: true, autoscaling_config: { min_replicas: 1, max_replicas: 5 } })).toEqual(LOAD_SCALING_DEFAULTS);
    expect(load({ enable_autoscaling: true, autoscaling_config: { min_replicas: 1, max_replicas: 5, target_value: '20' } })?.target).toEqual({ metric: 'concurrency', value: 20 });
    expect(load({ autoscaling_config: { min_replicas: 1, max_replicas: 5, target_value: 12.5 } })?.target).toEqual({ metric: 'concurrency', value: 13 });
    expect(load({ settings: { min_instances: 0, max_instances: 2 } })).toEqual(LOAD_SCALING_DEFAULTS);
  });

  it('refuses what is inconsistent, naming the field', () => {
    const field = (extra: Record<string, unknown>) => rejected(() => load(extra)).field;
    expect(field({ autoscaling: { min_replicas: 0, max_replicas: 3, enabled: false, target: { metric: 'queue', value: 5 } } })).toBe('autoscaling.target');
    expect(field({ enable_autoscaling: false, autoscaling_config: { min_replicas: 1, max_replicas: 5, target_value: 20 } })).toBe('autoscaling_config.target_value');
    expect(field({ enable_autoscaling: true })).toBe('autoscaling_config');
    expect(field({ autoscaling: { min_replicas: 0, max_replicas: 3, enabled: true }, enable_autoscaling: false })).toBe('enable_autoscaling');
    expect(field({ autoscaling: { min_replicas: 0, max_replicas: 3, scale_up_delay_seconds: 900 } })).toBe('autoscaling.scale_up_delay_seconds');
    expect(field({ autoscaling: { min_replicas: 1, max_replicas: 3, scale_to_zero_delay_seconds: 600 } })).toBe('autoscaling.scale_to_zero_delay_seconds');
    expect(rejected(() => parse({ autoscaling: { min_replicas: 0, max_replicas: 3, target: { metric: 'rps', value: 5 } } })).field).toBe('autoscaling.target.metric');
    expect(rejected(() => parse({ autoscaling: { min_replicas: 0, max_replicas: 3, scale_down_delay_seconds: -1 } })).field).toBe('autoscaling.scale_down_delay_seconds');
  });
});

describe('initial replicas', () => {
  it('start at the range minimum, at least 1, unless replicas are given inside the range', () => {
    expect(initialReplicas(undefined, { range: null, field: null })).toBe(1);
    expect(initialReplicas(undefined, { range: { min_replicas: 0, max_replicas: 4 }, field: 'autoscaling' })).toBe(1);
    expect(initialReplicas(undefined, { range: { min_replicas: 2, max_replicas: 4 }, field: 'autoscaling' })).toBe(2);
    expect(initialReplicas(3, { range: { min_replicas: 2, max_replicas: 4 }, field: 'autoscaling' })).toBe(3);
    const error = rejected(() => initialReplicas(5, { range: { min_replicas: 2, max_replicas: 4 }, field: 'settings' }));
    expect(error.field).toBe('replicas');
    expect(error.message).toContain("settings's range [2, 4]");
  });

  it('refuse a maximum the node group can never hold', () => {
    const l4 = findGpuConfig('l4-24gb')!; // 4 nodes x 4 GPUs
    expect(() => checkRangeFits({ range: { min_replicas: 0, max_replicas: 16 }, field: 'autoscaling' }, 1, l4)).not.toThrow();
    const error = rejected(() => checkRangeFits({ range: { min_replicas: 0, max_replicas: 5 }, field: 'settings' }, 4, l4));
    expect(error.field).toBe('settings.max_instances');
    expect(error.message).toContain('at most 4 replicas');
  });
});

describe('replica bounds of a deployment', () => {
  const ranged = { id: 'dep-1', autoscaling: { min_replicas: 1, max_replicas: 3 } };
  const unranged = { id: 'dep-2', autoscaling: null };

  it('are the stored range, or 0..MAX_REPLICAS without one', () => {
    expect(replicaBounds(ranged)).toEqual({ min: 1, max: 3 });
    expect(replicaBounds(unranged)).toEqual({ min: 0, max: MAX_REPLICAS });
    expect(replicaBounds({})).toEqual({ min: 0, max: MAX_REPLICAS });
  });

  it('reject replicas outside the range (0 = pause only when min is 0), naming replicas', () => {
    expect(() => checkReplicas(ranged, 2)).not.toThrow();
    expect(() => checkReplicas(ranged, 3)).not.toThrow();
    expect(rejected(() => checkReplicas(ranged, 4)).field).toBe('replicas');
    const pause = rejected(() => checkReplicas(ranged, 0));
    expect(pause.message).toContain('[1, 3]');
    expect(() => checkReplicas(unranged, 0)).not.toThrow();
    expect(() => checkReplicas({ id: 'dep-3', autoscaling: { min_replicas: 0, max_replicas: 2 } }, 0)).not.toThrow();
  });

  it('clamp what a schedule asks for into the range', () => {
    expect(clampReplicas(ranged, 0)).toBe(1);
    expect(clampReplicas(ranged, 9)).toBe(3);
    expect(clampReplicas(ranged, 2)).toBe(2);
    expect(clampReplicas(unranged, 0)).toBe(0);
  });
});

describe('a new range for a running deployment', () => {
  const l4 = findGpuConfig('l4-24gb')!;
  const record = { id: 'dep-1', replicas: 2, gpu_count: 1 };

  it('must hold the current replicas and fit the node group', () => {
    expect(() => checkNewRange(record, { min_replicas: 0, max_replicas: 2 }, l4)).not.toThrow();
    expect(rejected(() => checkNewRange(record, { min_replicas: 3, max_replicas: 4 }, l4)).field).toBe('min_replicas');
    expect(rejected(() => checkNewRange(record, { min_replicas: 0, max_replicas: 1 }, l4)).message).toContain('scale down first');
    expect(rejected(() => checkNewRange(record, { min_replicas: 2, max_replicas: 1 }, l4)).field).toBe('min_replicas');
    expect(rejected(() => checkNewRange({ ...record, gpu_count: 4 }, { min_replicas: 1, max_replicas: 5 }, l4)).field).toBe('autoscaling.max_replicas');
  });
});

describe('instance counts', () => {
  const pod = (ready: boolean, extra: Partial<V1Pod> = {}): V1Pod => ({
    metadata: { name: 'p', ...extra.metadata },
    status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], ...extra.status },
  });

  it('count Ready pods as running, the others as pending, and terminating or finished pods as neither', () => {
    expect(countInstances([])).toEqual({ running: 0, pending: 0 });
    expect(
      countInstances([
        pod(true),
        pod(true),
        pod(false),
        pod(true, { metadata: { name: 'leaving', deletionTimestamp: new Date() } }),
        pod(false, { status: { phase: 'Failed' } }),
      ]),
    ).toEqual({ running: 2, pending: 1 });
  });
});

describe('stale instance counts', () => {
  const ready = { status: 'ready' as const, phase: 'ready' as const, instances: { running: 1, pending: 0, observed_at: null } };

  it('are those of a resting ready deployment that differ from its pods', () => {
    expect(instanceCountsStale(ready, { running: 1, pending: 0 })).toBe(false);
    expect(instanceCountsStale(ready, { running: 0, pending: 1 })).toBe(true);
    expect(instanceCountsStale({ status: 'ready', phase: 'ready' }, { running: 1, pending: 0 })).toBe(true);
    expect(instanceCountsStale({ ...ready, phase: 'scaling' }, { running: 0, pending: 1 })).toBe(false);
    expect(instanceCountsStale({ ...ready, status: 'initializing', phase: 'loading_model' }, { running: 0, pending: 1 })).toBe(false);
  });
});
