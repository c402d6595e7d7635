import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/domain/errors';
import { LABELS } from '../../../functions/domain/manifests';
import { deploymentEvents, deploymentLogs, deploymentWithEta } from '../../../functions/use-cases/deployment-reads';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const pod = (name: string, createdAt: string, restarts = 0): V1Pod => ({
  metadata: { name, creationTimestamp: new Date(createdAt), labels: { [LABELS.deploymentId]: 'dep-0001' } },
  status: { phase: 'Running', containerStatuses: [{ name: 'vllm', ready: true, restartCount: restarts, image: 'vllm', imageID: '', containerID: '' }] },
});

describe('deployment reads', () => {
  it('gives an ETA while a deployment starts, from recent cold starts of the same model and GPU config', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T09:01:00Z') });
    ports.deployments.seed(aDeployment({ status: 'initializing', phase: 'loading_model', ready_since: null }));
    await ports.coldStarts.record('Qwen-Qwen2.5-0.5B-Instruct', 'l4-24gb', 300);
    const { record, eta } = await deploymentWithEta(ports, TENANT, 'dep-0001');
    expect(record.id).toBe('dep-0001');
    expect(eta).toEqual({ based_on: 'history', samples: 1, expected_ready_at: '2026-12-01T09:05:00.000Z' });
  });

  it('gives no ETA once ready, nor while paused', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment());
    ports.deployments.seed(aDeployment({ id: 'dep-0002', status: 'initializing', phase: 'paused', replicas: 0 }));
    expect((await deploymentWithEta(ports, TENANT, 'dep-0001')).eta).toBeNull();
    expect((await deploymentWithEta(ports, TENANT, 'dep-0002')).eta).toBeNull();
  });

  it('pages the history oldest first, and answers 404 for another tenant before reading it', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ status: 'initializing', phase: 'accepted' }));
    for (const phase of ['provisioning_nodes', 'scheduling', 'loading_model'] as const) {
      await ports.deployments.update(TENANT, 'dep-0001', { phase }, {}, { now: ports.clock.advance(10), event: { type: 'phase_changed', message: `phase ${phase}` } });
    }
    const first = await deploymentEvents(ports, TENANT, 'dep-0001', { limit: 2 });
    expect(first.items.map((e) => e.phase)).toEqual(['provisioning_nodes', 'scheduling']);
    const second = await deploymentEvents(ports, TENANT, 'dep-0001', { limit: 2, after: first.next });
    expect(second).toEqual({ items: [expect.objectContaining({ phase: 'loading_model', execution_arn: expect.any(String) })] });
    await expect(deploymentEvents(ports, { org_id: 'org-b', project_id: 'prj-a' }, 'dep-0001', { limit: 2 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads each pod log oldest pod first, or the one replica asked for', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ replicas: 2 }));
    ports.cluster.pods = [pod('model-b', '2026-12-01T09:02:00Z', 1), pod('model-a', '2026-12-01T09:01:00Z')];
    ports.cluster.logs.set('model-a', { log: 'line 1\nline 2\nline 3' });
    const all = await deploymentLogs(ports, TENANT, 'dep-0001', { tail_lines: 2, previous: false });
    expect(all).toEqual({
      deployment_id: 'dep-0001',
      pods: [
        { name: 'model-a', phase: 'Running', ready: true, restarts: 0, log: 'line 2\nline 3' },
        { name: 'model-b', phase: 'Running', ready: true, restarts: 1, log: '', error: expect.stringContaining('waiting to start') },
      ],
    });
    expect((await deploymentLogs(ports, TENANT, 'dep-0001', { tail_lines: 5, previous: false, replica: { index: 1 } })).pods.map((p) => p.name)).toEqual(['model-b']);
    await expect(deploymentLogs(ports, TENANT, 'dep-0001', { tail_lines: 5, previous: false, replica: { name: 'model-z' } })).rejects.toThrow(/'model-z' is not a pod/);
  });
});
