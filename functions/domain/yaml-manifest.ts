/**
 * Jan's "advanced YAML" deploy: a Kubernetes Deployment manifest, admitted only if it is one
 * apps/v1 Deployment whose pods request GPUs within the tenant's limits, run unprivileged and
 * touch nothing of the node (no hostPath, hostNetwork, hostPID, hostIPC). Every rejection is a
 * 400 naming the offending path in the manifest. An admitted manifest becomes a custom-model
 * spec (image, command/args, plain env, GPUs, replicas); the control plane then renders its own
 * Deployment from that spec, in its namespace, with its labels, node selector and probes, and
 * runs the same deploy workflow (docs/custom-models.md). Pure.
 */
import { parseAllDocuments } from 'yaml';
import { findGpuConfig, INVENTORY, type GpuConfig } from '../../contract/catalog';
import { customModelDeploymentSchema } from '../../contract/requests/custom-model';
import type { YamlDeployQuery } from '../../contract/requests/deploy';
import { MAX_REPLICAS } from '../../contract/requests/fields';
import { checkServedModelName, resolveCustomModelSpec, type ResolvedCustomModelSpec } from './custom-model';
import { ApiError, ValidationError } from './errors';
import { HF_TOKEN_ENV } from './hf-token';
import { GPU_RESOURCE } from './manifests';
import { nodeGroupGpuLimit } from './capacity';
import { parseOrThrow } from './requests';

export const MAX_MANIFEST_BYTES = 64 * 1024;
/** Aliases (`*ref`) are expanded by the parser: a bound keeps a "billion laughs" small. */
export const MAX_YAML_ALIASES = 20;
const POD = 'spec.template.spec';
const TOKEN_VARIABLES = new Set([HF_TOKEN_ENV, 'HUGGING_FACE_HUB_TOKEN']);

const reject = (path: string, message: string): never => {
  throw new ValidationError(`${path}: ${message}`, path);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Decodes the body of POST …/aimodels/yaml (application/yaml or text/yaml) into one plain object. */
export const parseManifest = (body: string | undefined, isBase64Encoded: boolean, contentType: string | undefined): unknown => {
  if (contentType === undefined || !/^(application|text)\/(x-)?yaml\b/i.test(contentType.trim())) {
    throw new ApiError('unsupported_media_type', 415, `content-type must be application/yaml or text/yaml, got '${(contentType ?? '').slice(0, 100)}'`);
  }
  if (body === undefined || body === '') throw new ValidationError('request body is required and must be a Deployment manifest');
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ValidationError(`the manifest exceeds ${MAX_MANIFEST_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError('request body is not valid UTF-8');
  }
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(documents) || documents.length === 0) throw new ValidationError('request body must hold one Deployment manifest');
  if (documents.length > 1) {
    throw new ValidationError(`documents[1]: the body holds ${documents.length} YAML documents; exactly one apps/v1 Deployment is accepted`, 'documents[1]');
  }
  const document = documents[0]!;
  const error = document.errors[0];
  if (error) throw new ValidationError(`request body is not valid YAML: ${error.message.split('\n')[0]!.slice(0, 200)}`);
  try {
    return document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (aliasError) {
    throw new ValidationError(`request body is not accepted YAML: ${(aliasError as Error).message.slice(0, 200)}`);
  }
};

const stringList = (value: unknown, path: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return reject(path, 'must be a list of strings');
  return value as string[];
};

const gpuQuantity = (value: unknown, path: string): number | undefined => {
  if (value === undefined) return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9]\d{0,2}$/.test(text)) return reject(path, `must be a whole number of GPUs, got ${JSON.stringify(value)?.slice(0, 40)}`);
  return Number(text);
};

/** The privilege rules of a container's securityContext. */
const checkContainerSecurity = (container: Record<string, unknown>, path: string): void => {
  const context = container.securityContext;
  if (context === undefined) return;
  if (!isRecord(context)) reject(`${path}.securityContext`, 'must be an object');
  const sc = context as Record<string, unknown>;
  if (sc.privileged === true) reject(`${path}.securityContext.privileged`, 'privileged containers are not allowed');
  if (sc.allowPrivilegeEscalation === true) reject(`${path}.securityContext.allowPrivilegeEscalation`, 'privilege escalation is not allowed');
  if (sc.runAsNonRoot === false) reject(`${path}.securityContext.runAsNonRoot`, 'must not be false');
  if (isRecord(sc.capabilities) && Array.isArray(sc.capabilities.add) && sc.capabilities.add.length > 0) {
    reject(`${path}.securityContext.capabilities.add`, 'added capabilities are not allowed');
  }
};

/** The node-level escapes of a pod spec. */
const checkPodIsolation = (pod: Record<string, unknown>): void => {
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[field] === true) reject(`${POD}.${field}`, `${field} is not allowed`);
  }
  if (isRecord(pod.securityContext) && pod.securityContext.runAsNonRoot === false) reject(`${POD}.securityContext.runAsNonRoot`, 'must not be false');
  if (pod.volumes !== undefined) {
    if (!Array.isArray(pod.volumes)) reject(`${POD}.volumes`, 'must be a list');
    (pod.volumes as unknown[]).forEach((volume, i) => {
      if (isRecord(volume) && volume.hostPath !== undefined) reject(`${POD}.volumes[${i}].hostPath`, 'hostPath volumes are not allowed');
    });
  }
  for (const list of ['initContainers', 'ephemeralContainers'] as const) {
    const containers = pod[list];
    if (containers === undefined) continue;
    if (!Array.isArray(containers)) reject(`${POD}.${list}`, 'must be a list');
    (containers as unknown[]).forEach((c, i) => {
      if (isRecord(c)) checkContainerSecurity(c, `${POD}.${list}[${i}]`);
    });
    if ((containers as unknown[]).length > 0) reject(`${POD}.${list}`, `${list} are not supported: the control plane runs one model-server container`);
  }
};

/** `--model <repo>` or `vllm serve <repo>` in the container's command line. */
export const modelRepositoryOf = (tokens: readonly string[]): string | undefined => {
  const words = tokens.flatMap((t) => t.split(/\s+/)).filter((w) => w !== '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--model') return words[i + 1];
    if (word.startsWith('--model=')) return word.slice('--model='.length);
    if (word === 'serve' && words[i + 1] !== undefined && !words[i + 1]!.startsWith('-')) return words[i + 1];
  }
  return undefined;
};

export interface ManifestModel {
  name: string | undefined;
  replicas: number;
  image: string;
  command: string[] | undefined;
  args: string[] | undefined;
  env: { name: string; value: string }[];
  gpus: number;
  huggingfaceId: string;
  paths: { container: string; gpus: string };
}

/** Admission of the manifest itself: structure, isolation, privileges, GPUs. */
export const admitManifest = (manifest: unknown, gpuConfig: Pick<GpuConfig, 'gpus_per_node' | 'config_id' | 'node_group'>): ManifestModel => {
  if (!isRecord(manifest)) return reject('(document)', 'the manifest must be a mapping (a Kubernetes object)');
  if (manifest.apiVersion !== 'apps/v1') reject('apiVersion', `must be apps/v1, got ${JSON.stringify(manifest.apiVersion ?? null)}`);
  if (manifest.kind !== 'Deployment') reject('kind', `must be Deployment, got ${JSON.stringify(manifest.kind ?? null)}`);
  const metadata = isRecord(manifest.metadata) ? manifest.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : undefined;
  if (!isRecord(manifest.spec)) return reject('spec', 'is required');
  const spec = manifest.spec;
  const replicas = spec.replicas ?? 1;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    reject('spec.replicas', `must be an integer between 1 and ${MAX_REPLICAS}`);
  }
  if (!isRecord(spec.template) || !isRecord(spec.template.spec)) return reject(POD, 'is required');
  const pod = spec.template.spec;
  checkPodIsolation(pod);
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) return reject(`${POD}.containers`, 'must hold the model-server container');
  pod.containers.forEach((c: unknown, i: number) => {
    if (!isRecord(c)) reject(`${POD}.containers[${i}]`, 'must be an object');
    checkContainerSecurity(c as Record<string, unknown>, `${POD}.containers[${i}]`);
  });
  if (pod.containers.length > 1) reject(`${POD}.containers[1]`, 'one model-server container is supported');
  const path = `${POD}.containers[0]`;
  const container = pod.containers[0] as Record<string, unknown>;
  if (typeof container.image !== 'string' || container.image === '') reject(`${path}.image`, 'is required');
  const command = stringList(container.command, `${path}.command`);
  const args = stringList(container.args, `${path}.args`);
  const env = (container.env === undefined ? [] : Array.isArray(container.env) ? container.env : reject(`${path}.env`, 'must be a list')) as unknown[];
  const plainEnv = env.map((variable, i) => {
    if (!isRecord(variable) || typeof variable.name !== 'string') return reject(`${path}.env[${i}].name`, 'is required');
    if (variable.valueFrom !== undefined) return reject(`${path}.env[${i}].valueFrom`, 'only plain values are supported');
    if (TOKEN_VARIABLES.has(variable.name)) return reject(`${path}.env[${i}]`, `${variable.name} must not be a plain value: send the token as hf_token of POST …/aimodels`);
    return { name: variable.name, value: variable.value === undefined ? '' : String(variable.value) };
  });
  const resources = isRecord(container.resources) ? container.resources : {};
  const limitsPath = `${path}.resources.limits["${GPU_RESOURCE}"]`;
  const limit = gpuQuantity(isRecord(resources.limits) ? resources.limits[GPU_RESOURCE] : undefined, limitsPath);
  const request = gpuQuantity(isRecord(resources.requests) ? resources.requests[GPU_RESOURCE] : undefined, `${path}.resources.requests["${GPU_RESOURCE}"]`);
  const gpus = limit ?? request;
  if (gpus === undefined) return reject(limitsPath, `the pods must request GPUs (${GPU_RESOURCE})`);
  if (limit !== undefined && request !== undefined && limit !== request) reject(`${path}.resources.requests["${GPU_RESOURCE}"]`, 'must equal the limit');
  if (gpus > gpuConfig.gpus_per_node) {
    reject(limitsPath, `${gpus} GPUs exceed max_gpu_count ${gpuConfig.gpus_per_node} of gpu_config_id '${gpuConfig.config_id}'`);
  }
  if ((replicas as number) * gpus > nodeGroupGpuLimit(gpuConfig)) {
    reject('spec.replicas', `${replicas} replicas of ${gpus} GPUs exceed node group '${gpuConfig.node_group.name}' (at most ${gpuConfig.node_group.max_size} nodes of ${gpuConfig.gpus_per_node} GPUs)`);
  }
  const huggingfaceId = modelRepositoryOf([...(command ?? []), ...(args ?? [])]);
  if (huggingfaceId === undefined) {
    return reject(`${path}.${args === undefined && command !== undefined ? 'command' : 'args'}`, 'the model server command line must name the model: --model <owner>/<name> or vllm serve <owner>/<name>');
  }
  return { name, replicas: replicas as number, image: container.image as string, command, args, env: plainEnv, gpus, huggingfaceId, paths: { container: path, gpus: limitsPath } };
};

/** Request fields of the custom-model schema and where they came from in the manifest. */
const manifestPaths = (model: ManifestModel): Record<string, string> => ({
  name: 'metadata.name',
  huggingface_id: `${model.paths.container}.args`,
  image: `${model.paths.container}.image`,
  command: `${model.paths.container}.command`,
  args: `${model.paths.container}.args`,
  gpu_count: model.paths.gpus,
  replicas: 'spec.replicas',
});

/** The admitted manifest as a custom-model deploy: the same rules and workflow as POST …/aimodels. */
export const resolveYamlDeployment = (manifest: unknown, query: YamlDeployQuery): ResolvedCustomModelSpec => {
  const gpuConfig = findGpuConfig(query.gpu_config_id);
  if (!gpuConfig) throw new ValidationError(`gpu_config_id '${query.gpu_config_id}' does not exist (see GET /api/v1beta1/inventory)`, 'gpu_config_id');
  const model = admitManifest(manifest, gpuConfig);
  const name = query.name ?? model.name;
  if (name === undefined) throw new ValidationError('metadata.name: is required (or give ?name=)', 'metadata.name');
  const paths = manifestPaths(model);
  const fields = {
    name,
    huggingface_id: model.huggingfaceId,
    region: query.region ?? gpuConfig.region ?? INVENTORY.cluster_region,
    gpu_config_id: gpuConfig.config_id,
    plan_id: query.plan_id,
    gpu_count: model.gpus,
    replicas: model.replicas,
    image: model.image,
    ...(model.command ? { command: model.command } : {}),
    ...(model.args ? { args: model.args } : {}),
  };
  try {
    const request = parseOrThrow(customModelDeploymentSchema, fields);
    checkServedModelName(name, model.command, model.args, { command: paths.command!, args: paths.args! });
    return resolveCustomModelSpec(request, 'yaml', model.env);
  } catch (error) {
    // Name the manifest's path, not the JSON field it became (a ?name= keeps its own name).
    if (error instanceof ValidationError && error.field !== undefined) {
      const fromQuery = query.name !== undefined && error.field === 'name';
      const path = Object.values(paths).includes(error.field) ? error.field : fromQuery ? undefined : paths[error.field];
      if (path !== undefined) {
        const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
        throw new ValidationError(`${path}: ${message}`, path);
      }
    }
    throw error;
  }
};
