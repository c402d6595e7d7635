import { describe, expect, it } from 'vitest';
import { findCatalogModel } from '../../../contract/catalog';
import { ValidationError } from '../../../functions/domain/errors';
import { planDeployment } from '../../../functions/use-cases/plan-deployment';
import { resolveDeployRequest } from '../../../functions/use-cases/resolve-deployment';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const qwen = { name: 'qwen', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' };

describe('dry run and deploy-body resolution', () => {
  it('plans against the demand and ledger of the node group, writing nothing', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    await ports.ledger.reserve('l4-24gb', 4, 16, 'gpu-l4-24gb');
    const spec = await resolveDeployRequest(ports, { ...qwen, hf_token: 'hf_secret' });
    const plan = await planDeployment(ports, TENANT, spec, ports.clock.now());
    expect(plan).toMatchObject({
      dry_run: true,
      would_be_accepted: true,
      capacity: { node_group: 'gpu-l4-24gb', nodes_needed_now: 1, nodes_needed_after: 2, nodes_to_add: 1, gpus_to_reserve: 1, gpus_reserved: 4, gpus_limit: 16 },
      cost: { currency: 'USD' },
    });
    // the rendered objects use this installation's namespace and image; the token is never in them
    expect(JSON.stringify(plan.manifests)).toContain('"namespace":"models"');
    expect(JSON.stringify(plan)).not.toContain('hf_secret');
    expect(ports.deployments.writes).toEqual([]);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(4);
  });

  it('says a deploy would be refused when the ledger is full', async () => {
    const ports = inMemoryPorts();
    await ports.ledger.reserve('l4-24gb', 16, 16, 'gpu-l4-24gb');
    const plan = await planDeployment(ports, TENANT, await resolveDeployRequest(ports, qwen), ports.clock.now());
    expect(plan.would_be_accepted).toBe(false);
  });

  it('refuses a catalog model an admin retired, naming catalog_id', async () => {
    const ports = inMemoryPorts();
    const model = findCatalogModel(qwen.catalog_id);
    if (!model) throw new Error('the built-in catalog has no Qwen');
    await ports.catalog.put({ model, origin: 'builtin', retired_at: '2026-11-30T00:00:00Z', version: 1, updated_at: '', updated_by: 'admin' }, 'absent');
    const refused = await resolveDeployRequest(ports, qwen).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(/catalog_id 'Qwen-Qwen2.5-0.5B-Instruct' has been retired/);
  });
});
