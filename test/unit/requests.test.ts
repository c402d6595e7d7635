import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import { createDeploymentSchema } from '../../contract/requests/deploy';
import { encodeListCursor, listPageOf, listQuerySchema } from '../../contract/requests/queries';
import { scaleDeploymentSchema } from '../../contract/requests/scale';
import { checkReplicasFitNodeGroup, parseOrThrow, resolveDeploymentSpec } from '../../functions/domain/requests';
import { findGpuConfig } from '../../contract/catalog';

const valid = {
  name: 'qwen-small',
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
};

const rejection = (body: unknown): ValidationError => {
  try {
    resolveDeploymentSpec(parseOrThrow(createDeploymentSchema, body));
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('deploy request validation', () => {
  it('resolves a valid request with catalog defaults', () => {
    const spec = resolveDeploymentSpec(parseOrThrow(createDeploymentSchema, valid));
    expect(spec.model.model_id).toBe('Qwen/Qwen2.5-0.5B-Instruct');
    expect(spec.config).toMatchObject({ max_model_len: 8192, max_num_seqs: 64, extra_args: [] });
    expect(spec.replicas).toBe(1);
  });

  it('keeps unknown config keys, as the contract says (stored, no effect)', () => {
    const spec = resolveDeploymentSpec(parseOrThrow(createDeploymentSchema, { ...valid, config: { note: 'x', extra_args: ['--enforce-eager'] } }));
    expect(spec.config.note).toBe('x');
    expect(spec.config.extra_args).toEqual(['--enforce-eager']);
  });

  it.each([
    [{ ...valid, name: undefined }, 'name'],
    [{ ...valid, name: 'ab' }, 'name'],
    [{ ...valid, name: 'a'.repeat(31) }, 'name'],
    [{ ...valid, name: 'Not-DNS' }, 'name'],
    [{ ...valid, name: '-lead' }, 'name'],
    [{ ...valid, name: 42 }, 'name'],
    [{ ...valid, catalog_id: 'no/slash' }, 'catalog_id'],
    [{ ...valid, catalog_id: 'unknown-model' }, 'catalog_id'],
    [{ ...valid, region: 'mars-1' }, 'region'],
    [{ ...valid, gpu_config_id: 'tpu-v5' }, 'gpu_config_id'],
    [{ ...valid, gpu_count: 5 }, 'gpu_count'],
    [{ ...valid, gpu_count: 0 }, 'gpu_count'],
    [{ ...valid, gpu_count: 1.5 }, 'gpu_count'],
    [{ ...valid, gpu_count: '1' }, 'gpu_count'],
    [{ ...valid, plan_id: 'plan-h100-80gb-ondemand' }, 'plan_id'],
    [{ ...valid, plan_id: undefined }, 'plan_id'],
    [{ ...valid, replicas: 0 }, 'replicas'],
    [{ ...valid, replicas: 1_000_000 }, 'replicas'],
    [{ ...valid, replicas: 9, gpu_count: 2 }, 'replicas'],
    [{ ...valid, config: { max_model_len: 100 } }, 'config.max_model_len'],
    [{ ...valid, config: { max_model_len: 10_000_000 } }, 'config.max_model_len'],
    [{ ...valid, config: { max_num_seqs: 0 } }, 'config.max_num_seqs'],
    [{ ...valid, config: { extra_args: '--quantization awq' } }, 'config.extra_args'],
    [{ ...valid, config: { extra_args: [1, 2] } }, 'config.extra_args'],
    [{ ...valid, config: 'fast' }, 'config'],
  ])('rejects %j naming %s', (body, field) => {
    const error = rejection(body);
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain(field);
  });
});

describe('scale and list validation', () => {
  it('accepts replicas 0..16 (0 pauses) and rejects others by name', () => {
    expect(parseOrThrow(scaleDeploymentSchema, { replicas: 2 })).toEqual({ replicas: 2 });
    expect(parseOrThrow(scaleDeploymentSchema, { replicas: 0 })).toEqual({ replicas: 0 });
    for (const replicas of [-1, 17, 1.5, '2', null]) {
      expect(() => parseOrThrow(scaleDeploymentSchema, { replicas })).toThrow(/replicas/);
    }
  });

  it('defaults page and limit and rejects out-of-range values by name', () => {
    expect(parseOrThrow(listQuerySchema, {})).toEqual({ page: 1, limit: 20 });
    expect(parseOrThrow(listQuerySchema, { page: '3', limit: '100' })).toEqual({ page: 3, limit: 100 });
    expect(() => parseOrThrow(listQuerySchema, { page: '0' })).toThrow(/page/);
    expect(() => parseOrThrow(listQuerySchema, { limit: '101' })).toThrow(/limit/);
    expect(() => parseOrThrow(listQuerySchema, { limit: 'ten' })).toThrow(/limit/);
  });

  it('takes the page from a list cursor, and refuses a cursor it did not issue, naming it', () => {
    const cursor = encodeListCursor(7, 'dep-0abc123');
    expect(listPageOf(parseOrThrow(listQuerySchema, { cursor, limit: '10' }))).toEqual({ page: 7, limit: 10, after: 'dep-0abc123' });
    expect(listPageOf(parseOrThrow(listQuerySchema, { page: '2' }))).toEqual({ page: 2, limit: 20, after: undefined });
    for (const bad of ['not base64!', Buffer.from('7:other-id').toString('base64url'), Buffer.from('x:dep-1').toString('base64url')]) {
      expect(() => parseOrThrow(listQuerySchema, { cursor: bad }), bad).toThrow(/^cursor: cursor is not one this API returned|^cursor is not one this API returned/);
    }
  });
});

describe('checkReplicasFitNodeGroup', () => {
  it('accepts replicas up to the node group at its largest and names replicas beyond it', () => {
    const group = findGpuConfig('l4-24gb')!;
    const most = group.node_group.max_size * group.gpus_per_node;
    expect(() => checkReplicasFitNodeGroup(most, 1, group)).not.toThrow();
    expect(() => checkReplicasFitNodeGroup(most + 1, 1, group)).toThrow(ValidationError);
    expect(() => checkReplicasFitNodeGroup(group.node_group.max_size + 1, group.gpus_per_node, group)).toThrow(
      `no GPU node group can hold ${group.node_group.max_size + 1} replicas of ${group.gpus_per_node} GPUs: node group '${group.node_group.name}'`,
    );
  });
});
