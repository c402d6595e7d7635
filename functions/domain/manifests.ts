/**
 * Renders the Kubernetes objects of a model deployment. Pure: same record, same objects,
 * so applying them again (server-side apply) is a no-op and every task stays idempotent.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { CatalogModel, GpuConfig } from './catalog';
import { weightsGiB } from './catalog';
import { modelLoadBudgetSeconds } from './startup';
import { workloadName, type DeploymentRecord } from './deployment';

export const VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0';
export const VLLM_PORT = 8000;
export const MANAGED_BY = 'gpu-control-plane';

export const LABELS = {
  deploymentId: 'gpudeploy.io/deployment-id',
  org: 'gpudeploy.io/org',
  project: 'gpudeploy.io/project',
  managedBy: 'app.kubernetes.io/managed-by',
  instance: 'app.kubernetes.io/instance',
  name: 'app.kubernetes.io/name',
} as const;
export const NODE_GROUP_LABEL = 'eks.amazonaws.com/nodegroup';
export const WEIGHTS_ANNOTATION = 'gpudeploy.io/weights-gib';
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** Label selector that finds every object of one deployment. */
export const deploymentSelector = (deploymentId: string): string => `${LABELS.deploymentId}=${deploymentId}`;
/** Label selector for every object this control plane manages. */
export const managedSelector = `${LABELS.managedBy}=${MANAGED_BY}`;

/**
 * kube-scheduler's default profile scores nodes LeastAllocated, which spreads replicas over the
 * node group; EKS does not let us switch its default scheduler to MostAllocated. A preferred pod
 * affinity to the other model pods on the same node outweighs that score (InterPodAffinity has
 * twice NodeResourcesFit's weight), so replicas fill busy nodes first.
 */
const PACK_ONTO_BUSY_NODES = {
  weight: 100,
  podAffinityTerm: { labelSelector: { matchLabels: { [LABELS.managedBy]: MANAGED_BY } }, topologyKey: 'kubernetes.io/hostname' },
};

export const vllmArgs = (record: DeploymentRecord): string[] => [
  '--model',
  record.model_id,
  '--served-model-name',
  record.name,
  '--tensor-parallel-size',
  String(record.gpu_count),
  '--max-model-len',
  String(record.config.max_model_len),
  '--max-num-seqs',
  String(record.config.max_num_seqs),
  '--port',
  String(VLLM_PORT),
  ...record.config.extra_args,
];

export interface ModelWorkload {
  deployment: V1Deployment;
  service: V1Service;
}

export const renderModelWorkload = (
  record: DeploymentRecord,
  model: CatalogModel,
  gpuConfig: GpuConfig,
  namespace: string,
): ModelWorkload => {
  const name = workloadName(record.id);
  const labels = {
    [LABELS.name]: 'vllm',
    [LABELS.instance]: name,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.deploymentId]: record.id,
    [LABELS.org]: record.org_id,
    [LABELS.project]: record.project_id,
  };
  const selector = { [LABELS.deploymentId]: record.id };
  const probePeriod = 10;
  const gpus = String(record.gpu_count);
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: record.replicas,
      selector: { matchLabels: selector },
      // A GPU node rarely has room for a surge pod: replace in place.
      strategy: { type: 'Recreate' },
      template: {
        metadata: {
          labels,
          annotations: { [WEIGHTS_ANNOTATION]: weightsGiB(model).toFixed(1) },
        },
        spec: {
          nodeSelector: { [NODE_GROUP_LABEL]: gpuConfig.node_group.name },
          tolerations: [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }],
          // Pack: prefer nodes that already run a model, so whole nodes stay free for large
          // replicas and empty nodes can be released (the default scheduler spreads).
          affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [PACK_ONTO_BUSY_NODES] } },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'vllm',
              image: VLLM_IMAGE,
              args: vllmArgs(record),
              ports: [{ name: 'http', containerPort: VLLM_PORT }],
              env: [{ name: 'HF_HOME', value: '/models/.cache' }],
              resources: {
                requests: { [GPU_RESOURCE]: gpus, cpu: String(2 * record.gpu_count), memory: `${16 * record.gpu_count}Gi` },
                limits: { [GPU_RESOURCE]: gpus },
              },
              startupProbe: {
                httpGet: { path: '/health', port: 'http' },
                periodSeconds: probePeriod,
                failureThreshold: Math.ceil(modelLoadBudgetSeconds(model, record.initial_delay_seconds) / probePeriod),
              },
              readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 15, failureThreshold: 4 },
              volumeMounts: [
                { name: 'model-cache', mountPath: '/models' },
                { name: 'dshm', mountPath: '/dev/shm' },
              ],
            },
          ],
          volumes: [
            { name: 'model-cache', emptyDir: {} },
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
          ],
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: VLLM_PORT, targetPort: 'http' }],
    },
  };
  return { deployment, service };
};
