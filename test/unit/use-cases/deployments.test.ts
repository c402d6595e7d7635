import { describe, expect, it } from 'vitest';
import { ConflictError, ServiceUnavailableError } from '../../../functions/domain/errors';
import { createDeployment, deleteDeployment, scaleDeployment } from '../../../functions/use-cases/deployments';
import { resolveDeployRequest } from '../../../functions/use-cases/resolve-deployment';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const qwen = { name: 'qwen', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' };

describe('createDeployment', () => {
  it('reserves the GPUs, writes the record owned by the deploy execution it then starts; the token only as a secret', async () => {
    const ports = inMemoryPorts();
    const spec = await resolveDeployRequest(ports, { ...qwen, replicas: 2, hf_token: 'hf_secret' });
    const record = await createDeployment(ports, TENANT, spec, ports.clock.now());
    expect(record).toMatchObject({ status: 'initializing', phase: 'accepted', reserved_gpus: 2, operation: 'deploy' });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(2);
    expect(ports.deployments.peek(record)).toEqual(record);
    const [execution] = ports.workflows.started('deploy');
    expect(execution).toMatchObject({ arn: record.execution_arn, input: { deployment: { ...TENANT, id: record.id, gpu_config_id: 'l4-24gb' } } });
    expect(JSON.stringify(record)).not.toContain('hf_secret');
    expect(await ports.secrets.read(record.hf_token_secret_arn ?? '')).toBe('hf_secret');
  });

  it('undoes everything when the workflow cannot start: 503, no record, no reservation, no secret, the name free', async () => {
    const ports = inMemoryPorts();
    const spec = await resolveDeployRequest(ports, { ...qwen, hf_token: 'hf_secret' });
    ports.workflows.failStarts = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await expect(createDeployment(ports, TENANT, spec, ports.clock.now())).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(0);
    expect((await ports.deployments.list(TENANT, 1, 10)).items).toEqual([]);
    expect(ports.secrets.secrets.size).toBe(0);
    ports.workflows.failStarts = undefined;
    await expect(createDeployment(ports, TENANT, spec, ports.clock.now())).resolves.toMatchObject({ name: 'qwen' });
  });

  it('refuses a duplicate name with 409 and gives its GPUs back', async () => {
    const ports = inMemoryPorts();
    const spec = await resolveDeployRequest(ports, qwen);
    await createDeployment(ports, TENANT, spec, ports.clock.now());
    await expect(createDeployment(ports, TENANT, spec, ports.clock.now())).rejects.toBeInstanceOf(ConflictError);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
    expect(ports.workflows.started('deploy')).toHaveLength(1);
  });
});

describe('scaleDeployment', () => {
  const ready = () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ autoscaling: { min_replicas: 0, max_replicas: 4 } }));
    void ports.ledger.reserve('l4-24gb', 1, 16, 'gpu-l4-24gb');
    return ports;
  };

  it('reserves the added GPUs and hands the deployment to a scale execution', async () => {
    const ports = ready();
    const scaled = await scaleDeployment(ports, TENANT, 'dep-0001', 3, ports.clock.now());
    expect(scaled).toMatchObject({ replicas: 3, phase: 'scaling', status: 'ready', reserved_gpus: 3, operation: 'scale', version: 6 });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(3);
    expect(ports.workflows.started('scale').map((e) => e.arn)).toEqual([scaled.execution_arn]);
    expect(ports.events.of(TENANT, 'dep-0001').at(-1)).toMatchObject({ type: 'scale_requested', message: 'scale from 1 to 3 replicas requested' });
  });

  it('answers 409 while another operation runs, and when the GPUs are taken, changing nothing', async () => {
    const ports = ready();
    await ports.deployments.update(TENANT, 'dep-0001', { phase: 'scaling' }, {}, { now: ports.clock.now() });
    await expect(scaleDeployment(ports, TENANT, 'dep-0001', 2, ports.clock.now())).rejects.toThrow(/can be scaled once it is ready/);

    const full = ready();
    await full.ledger.reserve('l4-24gb', 15, 16, 'gpu-l4-24gb');
    await expect(scaleDeployment(full, TENANT, 'dep-0001', 2, full.clock.now())).rejects.toThrow(/no GPU capacity left/);
    expect(full.deployments.peek({ ...TENANT, id: 'dep-0001' })).toMatchObject({ replicas: 1, phase: 'ready', version: 5 });
    expect(full.workflows.started()).toEqual([]);
  });

  it('puts the record back and the GPUs too when the scale workflow cannot start', async () => {
    const ports = ready();
    ports.workflows.failStarts = new Error('unreachable');
    await expect(scaleDeployment(ports, TENANT, 'dep-0001', 2, ports.clock.now())).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(ports.deployments.peek({ ...TENANT, id: 'dep-0001' })).toMatchObject({ replicas: 1, phase: 'ready', reserved_gpus: 1, operation: 'deploy' });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
    expect(ports.events.of(TENANT, 'dep-0001').map((e) => e.type)).toEqual(['scale_requested', 'scale_not_started']);
  });

  it('resumes a paused deployment whose GPUs were given back: reserved again and counted toward demand', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ status: 'initializing', phase: 'paused', replicas: 0, reserved_gpus: 0, autoscaling: { min_replicas: 0, max_replicas: 2 } }), { demandOn: null });
    expect(await ports.deployments.gpuDemandOf('l4-24gb')).toEqual([]);
    const resumed = await scaleDeployment(ports, TENANT, 'dep-0001', 1, ports.clock.now(), 'by the schedule');
    expect(resumed).toMatchObject({ phase: 'scaling', reserved_gpus: 1 });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
    expect(await ports.deployments.gpuDemandOf('l4-24gb')).toEqual([{ id: 'dep-0001', gpuCount: 1, replicas: 1 }]);
    expect(ports.events.of(TENANT, 'dep-0001').at(-1)).toMatchObject({ type: 'resume_requested', message: 'resume with 1 replicas by the schedule' });
  });
});

describe('deleteDeployment', () => {
  it('supersedes a running deploy: terminating, owned by the delete execution, the old execution stopped', async () => {
    const ports = inMemoryPorts();
    const deploying = aDeployment({ status: 'initializing', phase: 'loading_model', ready_since: null });
    ports.workflows.seed(deploying.execution_arn, 'deploy', { status: 'RUNNING', startedAt: deploying.created_at });
    ports.deployments.seed(deploying);
    await deleteDeployment(ports, TENANT, 'dep-0001', ports.clock.now());
    const record = ports.deployments.peek(deploying);
    expect(record).toMatchObject({ status: 'terminating', phase: 'deleting', operation: 'delete' });
    expect(ports.workflows.started('delete').map((e) => e.arn)).toEqual([record?.execution_arn]);
    expect(ports.workflows.executions.get(deploying.execution_arn)).toMatchObject({ state: { status: 'ABORTED' }, stopped: { cause: 'superseded by a delete' } });
    // again: accepted, nothing new started
    await deleteDeployment(ports, TENANT, 'dep-0001', ports.clock.now());
    expect(ports.workflows.started('delete')).toHaveLength(1);
  });

  it('wins over a workflow writing between its read and its hand-over', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment());
    const store = ports.deployments;
    let interfered = false;
    const racing = {
      workflows: ports.workflows,
      deployments: Object.assign(Object.create(store) as typeof store, {
        get: async (...args: Parameters<typeof store.get>) => {
          const read = await store.get(...args);
          if (!interfered) {
            interfered = true;
            await store.update(TENANT, 'dep-0001', { instances: { running: 1, pending: 0, observed_at: null } }, {}, { now: new Date() });
          }
          return read;
        },
      }),
    };
    await deleteDeployment(racing, TENANT, 'dep-0001', ports.clock.now());
    expect(store.peek({ ...TENANT, id: 'dep-0001' })).toMatchObject({ status: 'terminating', version: 7 });
  });
});
