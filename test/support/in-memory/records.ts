/** Deployment records for unit tests: a ready one-replica Qwen on L4 unless told otherwise. */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { DeploymentRecord } from '../../../functions/domain/deployment';
import { LABELS, NODE_GROUP_LABEL } from '../../../functions/domain/manifests';

export const TENANT = { org_id: 'org-a', project_id: 'prj-a' } as const;

export const aDeployment = (overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => {
  const id = overrides.id ?? 'dep-0001';
  return {
    ...TENANT,
    id,
    name: `qwen-${id}`,
    catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
    model_id: 'Qwen/Qwen2.5-0.5B-Instruct',
    model_name: 'Qwen2.5-0.5B-Instruct',
    region: 'us-east-1',
    gpu_config_id: 'l4-24gb',
    gpu_count: 1,
    plan_id: 'plan-l4-24gb-ondemand',
    config: { max_model_len: 4096, max_num_seqs: 64, extra_args: [] },
    replicas: 1,
    status: 'ready',
    phase: 'ready',
    fail_reason: null,
    endpoint_url: `http://model-${id.replace(/^dep-/, '')}.models.svc.cluster.local:8000/v1`,
    created_at: '2026-12-01T09:00:00.000Z',
    updated_at: '2026-12-01T09:05:00.000Z',
    ready_since: '2026-12-01T09:05:00.000Z',
    operation: 'deploy',
    execution_arn: `arn:aws:states:us-east-1:000000000000:execution:gpu-deploy:${id}-deploy`,
    version: 5,
    reserved_gpus: 1,
    initial_delay_seconds: null,
    timeline: { accepted: '2026-12-01T09:00:00.000Z', capacity_reserved: '2026-12-01T09:00:00.000Z' },
    autoscaling: null,
    instances: { running: 1, pending: 0, observed_at: '2026-12-01T09:05:00.000Z' },
    usage: { closed: { serving_ms: 0, gpu_ms: 0 }, days: {}, open: { since: '2026-12-01T09:05:00.000Z', gpus: 1 } },
    ...overrides,
  };
};

/** A GPU node of a node group, joined and Ready unless told otherwise. */
export const aNode = (name: string, instanceId: string, options: { nodeGroup?: string; ready?: boolean; annotations?: Record<string, string>; unschedulable?: boolean } = {}): V1Node => ({
  metadata: { name, labels: { [NODE_GROUP_LABEL]: options.nodeGroup ?? 'gpu-l4-24gb' }, annotations: { ...(options.annotations ?? {}) } },
  spec: { providerID: `aws:///us-east-1a/${instanceId}`, unschedulable: options.unschedulable ?? false },
  status: { conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
});

/** A pod of a deployment, bound to a node. */
export const aPod = (name: string, deploymentId: string, nodeName: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, labels: { [LABELS.deploymentId]: deploymentId, [LABELS.org]: TENANT.org_id, [LABELS.project]: TENANT.project_id }, ...extra },
  spec: { nodeName, containers: [{ name: 'vllm' }], terminationGracePeriodSeconds: 30 },
  status: { phase: 'Running' },
});
