// Over 300 lines: every object of one model (Deployment, Service, Secrets, claim) rendered side by side, so their names, labels and selectors visibly agree.
/**
 * Renders the Kubernetes objects of a model deployment. Pure: same record, same objects,
 * so applying them again (server-side apply) is a no-op and every task stays idempotent.
 */
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Service,
  V1Volume,
} from '@kubernetes/client-node';
import type { CatalogModel, GpuConfig } from '../../contract/catalog';
import { weightsGiB } from '../../contract/catalog';
import { customLoadBudgetSeconds } from './custom-model';
import { HF_TOKEN_ENV } from './hf-token';
import { modelLoadBudgetSeconds } from './startup';
import { workloadName, type DeploymentRecord } from './deployment';
import { renderDisruptionBudget, renderNetworkPolicy, type ModelIngress, type NetworkPolicyManifest } from './model-policies';

export { checkTenantLabelValues, type ModelIngress, type NetworkPolicyManifest } from './model-policies';

/**
 * The serving image as Docker Hub names it: the default of the configured image
 * (adapters/serving-image.ts), which on AWS is its ECR pull-through cache copy.
 */
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
/** The model server's container in every pod rendered here (its log is the deployment's log). */
export const MODEL_CONTAINER = 'vllm';
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
  ...(record.custom?.revision ? ['--revision', record.custom.revision] : []),
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
  /** At most one replica down at a time through voluntary disruptions (node drains, AZ rebalancing). */
  podDisruptionBudget: ReturnType<typeof renderDisruptionBudget>;
  /** Who may open connections to the model pods. */
  networkPolicy: NetworkPolicyManifest;
  /** The model cache of a custom model with `storage_size`. */
  persistentVolumeClaim?: V1PersistentVolumeClaim;
}

/** The labels of every object of a deployment (the leak audit and the reconcile find them by these). */
export const workloadLabels = (record: Pick<DeploymentRecord, 'id' | 'org_id' | 'project_id'>): Record<string, string> => ({
  [LABELS.name]: 'vllm',
  [LABELS.instance]: workloadName(record.id),
  [LABELS.managedBy]: MANAGED_BY,
  [LABELS.deploymentId]: record.id,
  [LABELS.org]: record.org_id,
  [LABELS.project]: record.project_id,
});

/** The Kubernetes Secret holding a deployment's Hugging Face token (named like its workload). */
export const renderTokenSecret = (record: DeploymentRecord, token: string, namespace: string): V1Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: workloadName(record.id), namespace, labels: workloadLabels(record) },
  type: 'Opaque',
  data: { [HF_TOKEN_ENV]: Buffer.from(token, 'utf8').toString('base64') },
});

/** The model server's own key (vLLM reads VLLM_API_KEY as its --api-key): only the inference gateway holds it. */
export const MODEL_SERVER_KEY_ENV = 'VLLM_API_KEY';

/** The Secret holding a deployment's model server key, `<workload>-api-key`. */
export const apiKeySecretName = (deploymentId: string): string => `${workloadName(deploymentId)}-api-key`;

/** The Kubernetes Secret with the model server key (domain/inference-keys.ts modelServerKey) the gateway sends upstream. */
export const renderApiKeySecret = (record: DeploymentRecord, key: string, namespace: string): V1Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: apiKeySecretName(record.id), namespace, labels: workloadLabels(record) },
  type: 'Opaque',
  data: { [MODEL_SERVER_KEY_ENV]: Buffer.from(key, 'utf8').toString('base64') },
});

const MODEL_CACHE_PATH = '/models';
/** gp3, WaitForFirstConsumer (the stack creates it with the EBS CSI driver). */
export const MODEL_CACHE_STORAGE_CLASS = 'model-cache-gp3';

/** Startup budget: from the catalog model's size, a custom model's declared size, or an hour. */
const loadBudgetSeconds = (record: DeploymentRecord, model: CatalogModel | undefined): number =>
  model ? modelLoadBudgetSeconds(model, record.initial_delay_seconds) : customLoadBudgetSeconds(record.custom ?? { model_size_gib: null }, record.initial_delay_seconds);

/** Image, command and args: the control plane's vLLM invocation unless a custom model gives its own. */
const serverInvocation = (record: DeploymentRecord, servingImage: string): Pick<V1Container, 'image' | 'command' | 'args'> => {
  const custom = record.custom;
  const image = custom?.image ?? servingImage;
  if (!custom || (custom.command === null && custom.args === null)) return { image, args: vllmArgs(record) };
  return { image, ...(custom.command === null ? {} : { command: custom.command }), args: custom.args ?? [] };
};

/**
 * The uid and gid the model server runs as. Fixed, so a model cache (PVC) written by one pod is
 * readable by the next, and non-root, so the pod passes Pod Security `restricted`. No image
 * names this user, hence HOME and USER below (Python's getpass, used by torch and triton for
 * cache paths, fails for a uid with no passwd entry unless USER is set).
 */
export const MODEL_UID = 10001;
const HOME = '/home/vllm';

/**
 * Every path the server writes outside the model cache, on pod volumes (the image's own
 * directories belong to root): Hugging Face, vLLM's compile cache, triton kernels, torch
 * inductor, pip/XDG caches and /tmp. A user's `env` comes after these and may override them.
 */
const WRITABLE_ENV: V1EnvVar[] = [
  { name: 'HOME', value: HOME },
  { name: 'USER', value: 'vllm' },
  { name: 'HF_HOME', value: `${MODEL_CACHE_PATH}/.cache` },
  { name: 'XDG_CACHE_HOME', value: `${HOME}/.cache` },
  { name: 'XDG_CONFIG_HOME', value: `${HOME}/.config` },
  { name: 'VLLM_CACHE_ROOT', value: `${HOME}/.cache/vllm` },
  { name: 'TRITON_CACHE_DIR', value: `${HOME}/.triton` },
  { name: 'TORCHINDUCTOR_CACHE_DIR', value: '/tmp/torchinductor' },
];

/**
 * Probes for a loaded LLM server. A busy vLLM answers /health in more than the default 1 s, so
 * every probe waits 5-10 s. Readiness takes a pod out of the Service after 30 s of failures;
 * liveness restarts it only after 3 minutes (a restart reloads the weights: minutes to an hour),
 * so a slow-but-alive server is never killed while a dead engine (vLLM answers 500) still is.
 */
export const PROBES = {
  startupPeriodSeconds: 10,
  timeoutSeconds: 5,
  readiness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  liveness: { periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 6 },
} as const;

export const renderModelWorkload = (
  record: DeploymentRecord,
  model: CatalogModel | undefined,
  gpuConfig: GpuConfig,
  namespace: string,
  ingress: ModelIngress,
  /** The control plane's vLLM image (a custom model's own image wins). */
  servingImage: string,
): ModelWorkload => {
  const name = workloadName(record.id);
  const labels = workloadLabels(record);
  const custom = record.custom;
  const weights = model ? weightsGiB(model) : (custom?.model_size_gib ?? undefined);
  const env: V1EnvVar[] = [
    ...WRITABLE_ENV,
    ...(custom?.env ?? []),
    ...(typeof record.hf_token_secret_arn === 'string'
      ? [{ name: HF_TOKEN_ENV, valueFrom: { secretKeyRef: { name, key: HF_TOKEN_ENV } } }]
      : []),
    // Last, so a custom model's own env cannot replace the key the gateway authenticates with.
    { name: MODEL_SERVER_KEY_ENV, valueFrom: { secretKeyRef: { name: apiKeySecretName(record.id), key: MODEL_SERVER_KEY_ENV } } },
  ];
  const cache: V1Volume = custom?.storage_size ? { name: 'model-cache', persistentVolumeClaim: { claimName: name } } : { name: 'model-cache', emptyDir: {} };
  const selector = { [LABELS.deploymentId]: record.id };
  const health = { httpGet: { path: '/health', port: 'http' } };
  const gpus = String(record.gpu_count);
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: record.replicas,
      selector: { matchLabels: selector },
      // One replica at a time, never a surge pod (a GPU node rarely has room for one): a scale
      // that re-applies a changed template keeps the other replicas serving. A ReadWriteOnce
      // cache does not need Recreate: its replicas share one node, and RWO is per node.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: {
          labels,
          annotations: weights === undefined ? {} : { [WEIGHTS_ANNOTATION]: weights.toFixed(1) },
        },
        spec: {
          // The server needs no Kubernetes API: no token in a pod that runs tenant code.
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: MODEL_UID,
            runAsGroup: MODEL_UID,
            fsGroup: MODEL_UID,
            // A large model cache is not walked on every start once it belongs to the group.
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          nodeSelector: { [NODE_GROUP_LABEL]: gpuConfig.node_group.name },
          tolerations: [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }],
          affinity: {
            podAffinity: {
              // Pack: prefer nodes that already run a model, so whole nodes stay free for large
              // replicas and empty nodes can be released (the default scheduler spreads).
              preferredDuringSchedulingIgnoredDuringExecution: [PACK_ONTO_BUSY_NODES],
              // A ReadWriteOnce model cache is mounted by one node: its replicas must share that node.
              ...(custom?.storage_size
                ? { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' }] }
                : {}),
            },
          },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: MODEL_CONTAINER,
              ...serverInvocation(record, servingImage),
              ports: [{ name: 'http', containerPort: VLLM_PORT }],
              env,
              resources: {
                requests: { [GPU_RESOURCE]: gpus, cpu: String(2 * record.gpu_count), memory: `${16 * record.gpu_count}Gi` },
                limits: { [GPU_RESOURCE]: gpus },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                runAsNonRoot: true,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              startupProbe: {
                ...health,
                periodSeconds: PROBES.startupPeriodSeconds,
                timeoutSeconds: PROBES.timeoutSeconds,
                failureThreshold: Math.ceil(loadBudgetSeconds(record, model) / PROBES.startupPeriodSeconds),
              },
              readinessProbe: { ...health, ...PROBES.readiness },
              livenessProbe: { ...health, ...PROBES.liveness },
              volumeMounts: [
                { name: 'model-cache', mountPath: MODEL_CACHE_PATH },
                { name: 'dshm', mountPath: '/dev/shm' },
                { name: 'home', mountPath: HOME },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            cache,
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
            // Compile and kernel caches: a few GiB; the limit keeps one tenant from filling the node's disk.
            { name: 'home', emptyDir: { sizeLimit: '20Gi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '20Gi' } },
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
  const podDisruptionBudget = renderDisruptionBudget(name, namespace, labels, selector);
  const networkPolicy = renderNetworkPolicy(name, namespace, labels, selector, ingress, VLLM_PORT);
  const persistentVolumeClaim = renderModelCacheClaim(record, namespace);
  return { deployment, service, podDisruptionBudget, networkPolicy, ...(persistentVolumeClaim ? { persistentVolumeClaim } : {}) };
};

/**
 * The PVC model cache of a custom model with `storage_size`, named like the workload. One claim
 * per deployment: its replicas share it on one node (ReadWriteOnce), see docs/custom-models.md.
 */
export const renderModelCacheClaim = (record: DeploymentRecord, namespace: string): V1PersistentVolumeClaim | undefined =>
  record.custom?.storage_size
    ? {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: workloadName(record.id), namespace, labels: workloadLabels(record) },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: MODEL_CACHE_STORAGE_CLASS, resources: { requests: { storage: record.custom.storage_size } } },
      }
    : undefined;
