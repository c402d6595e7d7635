/**
 * Changing a deployment's scale range after deploy (PUT …/autoscaling): a record change only,
 * conditional on the version read, with an event in the history. No workflow: replicas do not
 * change, and the range must already hold them.
 */
import { checkNewRange } from '../domain/autoscaling';
import { findGpuConfig } from '../../contract/catalog';
import { checkCacheFitsOneNode } from '../domain/custom-model';
import type { AutoscalingRange, DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import type { Ports } from '../ports';
import { asConflict, findDeployment } from './ownership';

export const changeScaleRange = async (ports: Pick<Ports, 'deployments'>, tenant: Tenant, id: string, range: AutoscalingRange, now: Date): Promise<DeploymentRecord> => {
  const current = await findDeployment(ports, tenant, id);
  if (current.status === 'terminating') throw new ConflictError(`deployment '${id}' is being deleted`);
  const gpuConfig = findGpuConfig(current.gpu_config_id);
  checkNewRange(current, range, gpuConfig);
  // A PVC model cache keeps every replica on one node: the new maximum must fit one too.
  if (gpuConfig) checkCacheFitsOneNode(current.custom?.storage_size ?? null, range.max_replicas, current.gpu_count, gpuConfig, 'max_replicas');
  return ports.deployments
    .update(current, id, { autoscaling: range }, { version: current.version }, {
      now,
      event: {
        type: 'autoscaling_changed',
        message: `scale range set to [${range.min_replicas}, ${range.max_replicas}]${current.autoscaling ? ` (was [${current.autoscaling.min_replicas}, ${current.autoscaling.max_replicas}])` : ''}`,
      },
    })
    .catch(asConflict(`deployment '${id}' changed while the range was being set; retry`));
};
