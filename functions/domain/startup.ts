/**
 * Expected durations and deadlines of a cold start, in cluster seconds. Pure.
 */
import type { CatalogModel } from '../../contract/catalog';
import { weightsGiB } from '../../contract/catalog';

/** Typical time for a GPU node to launch, boot and join (default; see nodeProvisioning). */
export const EXPECTED_NODE_SECONDS = 180;
/** Node provisioning fails after this long (default; see nodeProvisioning). */
export const NODE_DEADLINE_SECONDS = 900;

/**
 * A GPU config's node timings: its inventory entry's `node_provisioning`, else the defaults.
 * A p5 (EFA, 8 GPUs, large root volume) takes far longer to join than a g6.
 */
export const nodeProvisioning = (config: { node_provisioning?: { expected_seconds: number; deadline_seconds: number } | undefined }): {
  expectedSeconds: number;
  deadlineSeconds: number;
} => ({
  expectedSeconds: config.node_provisioning?.expected_seconds ?? EXPECTED_NODE_SECONDS,
  deadlineSeconds: config.node_provisioning?.deadline_seconds ?? NODE_DEADLINE_SECONDS,
});
/** A pod that cannot be scheduled although the nodes are Ready fails after this long. */
export const UNSCHEDULABLE_DEADLINE_SECONDS = 300;
/**
 * Pods the API server keeps refusing (the ReplicaSet's FailedCreate: Pod Security, a quota, an
 * admission webhook) fail the rollout after this long: long enough for a webhook or quota
 * hiccup to clear while the ReplicaSet controller retries, far shorter than any other deadline.
 */
export const POD_CREATE_REFUSED_DEADLINE_SECONDS = 60;
/** Image pull (large vLLM images are ~10 GB) fails after this long. */
export const IMAGE_PULL_DEADLINE_SECONDS = 900;

/** Typical seconds from apply to Ready: image pull, engine start, weights at ~4 s/GiB. */
export const expectedStartSeconds = (weightsGib: number): number => Math.round(60 + 10 + 4 * weightsGib);

/**
 * How long the model may take to load before it is declared stuck: a base for the engine
 * plus time per GiB of weights (download and load), so a 70B model gets an hour where a
 * 0.5B one gets minutes; `initial_delay_seconds` can only raise it.
 */
export const modelLoadBudgetSeconds = (
  model: Pick<CatalogModel, 'parameters_billion' | 'dtype'>,
  initialDelaySeconds: number | null = null,
): number => Math.max(Math.ceil(300 + 25 * weightsGiB(model)), initialDelaySeconds ?? 0);
