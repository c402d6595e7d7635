/**
 * Changing a deployment's scale range after deploy (PUT …/autoscaling): a record change only,
 * conditional on the version read, with an event in the history. No workflow: replicas do not
 * change, and the range must already hold them.
 */
import * as repository from '../adapters/deployment-repository';
import { checkNewRange } from '../domain/autoscaling';
import { findGpuConfig } from '../domain/catalog';
import type { AutoscalingRange, DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import { getDeployment } from './deployments';

export const changeScaleRange = async (tenant: Tenant, id: string, range: AutoscalingRange, now: Date): Promise<DeploymentRecord> => {
  const current = await getDeployment(tenant, id);
  if (current.status === 'terminating') throw new ConflictError(`deployment '${id}' is being deleted`);
  checkNewRange(current, range, findGpuConfig(current.gpu_config_id));
  try {
    return await repository.updateDeployment(current, id, { autoscaling: range }, { version: current.version }, {
      now,
      event: {
        type: 'autoscaling_changed',
        message: `scale range set to [${range.min_replicas}, ${range.max_replicas}]${current.autoscaling ? ` (was [${current.autoscaling.min_replicas}, ${current.autoscaling.max_replicas}])` : ''}`,
      },
    });
  } catch (error) {
    if (error instanceof repository.StaleWriteError) throw new ConflictError(`deployment '${id}' changed while the range was being set; retry`);
    throw error;
  }
};
