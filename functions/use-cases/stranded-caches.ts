/**
 * The reconcile's move of a PVC model cache stranded in another AZ (domain/model-cache.ts) for a
 * deployment at rest: its node died and Auto Scaling put the replacement in another AZ, and no
 * workflow polls a Ready deployment. The same step as the readiness poll's
 * (workflow/model-cache.ts), without an execution state between runs: a claim still being
 * deleted is Bound, so the next run finds it again, and once it is gone the pods wait for it by
 * name, so the next run applies it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { workloadName } from '../domain/deployment';
import { LABELS, renderModelCacheClaim } from '../domain/manifests';
import { cacheClaimAwaited, cacheReprovisioned, cacheStrandedInAnotherZone } from '../domain/model-cache';
import { isStaleWrite, type Ports, type ServingEndpoint } from '../ports';
import { moveModelCache } from './workflow/model-cache';

export interface DeploymentPods {
  tenant: { org_id: string; project_id: string };
  pods: V1Pod[];
}

/** Pods by the deployment their labels name; pods without the deployment, org and project labels are left out. */
export const podsByDeployment = (pods: readonly V1Pod[]): Map<string, DeploymentPods> => {
  const byDeployment = new Map<string, DeploymentPods>();
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    const id = labels[LABELS.deploymentId];
    const org = labels[LABELS.org];
    const project = labels[LABELS.project];
    if (!id || !org || !project) continue;
    const entry = byDeployment.get(id) ?? { tenant: { org_id: org, project_id: project }, pods: [] };
    entry.pods.push(pod);
    byDeployment.set(id, entry);
  }
  return byDeployment;
};

/** `deleted`: this run deleted the stranded claim; `done`: a fresh claim is in place. */
export interface CacheMoved {
  id: string;
  claim: string;
  deleted: boolean;
  done: boolean;
}

export const moveStrandedCaches = async (
  ports: Pick<Ports, 'deployments' | 'cluster'> & { serving: Pick<ServingEndpoint, 'namespace'> },
  byDeployment: ReadonlyMap<string, DeploymentPods>,
  at: Date,
): Promise<CacheMoved[]> => {
  const moved: CacheMoved[] = [];
  for (const [id, { tenant, pods }] of byDeployment) {
    const claimName = workloadName(id);
    if (!cacheStrandedInAnotherZone(pods) && !cacheClaimAwaited(pods, claimName)) continue;
    const record = await ports.deployments.get(tenant, id);
    // Deploys, scales and resumes move their own cache (check-workload); a failed deployment's objects are being removed.
    if (!record || record.status !== 'ready' || record.phase !== 'ready') continue;
    const claim = renderModelCacheClaim(record, ports.serving.namespace);
    if (!claim) continue;
    const move = await moveModelCache(ports.cluster, claim, undefined);
    if (move.deleted) {
      try {
        await ports.deployments.update(record, id, {}, { version: record.version }, { now: at, event: cacheReprovisioned(claimName) });
      } catch (error) {
        if (!isStaleWrite(error)) throw error;
      }
    }
    moved.push({ id, claim: claimName, deleted: move.deleted, done: move.done });
  }
  return moved;
};
