/**
 * Changing a deployment's scale range and load-scaling settings after deploy (PUT …/autoscaling):
 * a record change only, conditional on the version read, with an event in the history. No
 * workflow: replicas do not change, and the range must already hold them. With load scaling on,
 * the deployment is due for the sweeper at once (index `schedule-due`), which from then on
 * moves its replicas inside the range.
 */
import { checkNewRange, mergeLoadScaling } from '../domain/autoscaling';
import { findGpuConfig } from '../../contract/catalog';
import type { LoadFields, LoadScaling } from '../../contract/requests/scale';
import { checkCacheFitsOneNode } from '../domain/custom-model';
import type { AutoscalingRange, DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import type { Ports } from '../ports';
import { asConflict, findDeployment, onStaleWrite } from './ownership';

const describeLoad = (load: LoadScaling | null | undefined): string =>
  load
    ? `load scaling on (target ${load.target.metric} ${load.target.value}, up after ${load.scale_up_delay_seconds} s, down after ${load.scale_down_delay_seconds} s)`
    : 'load scaling off';

export const changeScaleRange = async (
  ports: Pick<Ports, 'deployments'>,
  tenant: Tenant,
  id: string,
  body: AutoscalingRange & LoadFields,
  now: Date,
): Promise<DeploymentRecord> => {
  const current = await findDeployment(ports, tenant, id);
  if (current.status === 'terminating') throw new ConflictError(`deployment '${id}' is being deleted`);
  const range: AutoscalingRange = { min_replicas: body.min_replicas, max_replicas: body.max_replicas };
  const gpuConfig = findGpuConfig(current.gpu_config_id);
  checkNewRange(current, range, gpuConfig);
  const load = mergeLoadScaling(current.load_scaling, body, range);
  // A PVC model cache keeps every replica on one node: the new maximum must fit one too.
  if (gpuConfig) checkCacheFitsOneNode(current.custom?.storage_size ?? null, range.max_replicas, current.gpu_count, gpuConfig, 'max_replicas');
  const loadChanged = JSON.stringify(load ?? null) !== JSON.stringify(current.load_scaling ?? null);
  const updated = await ports.deployments
    .update(current, id, { autoscaling: range, ...(loadChanged ? { load_scaling: load } : {}) }, { version: current.version }, {
      now,
      event: {
        type: 'autoscaling_changed',
        message:
          `scale range set to [${range.min_replicas}, ${range.max_replicas}]${current.autoscaling ? ` (was [${current.autoscaling.min_replicas}, ${current.autoscaling.max_replicas}])` : ''}` +
          (loadChanged ? `; ${describeLoad(load)}` : ''),
      },
    })
    .catch(asConflict(`deployment '${id}' changed while the range was being set; retry`));
  if (load && loadChanged) {
    // Due now: the sweeper takes it from its next run. Its autoscaler state starts afresh with the new settings.
    const schedule = updated.schedule ? { schedule: updated.schedule, state: { windows_checked_at: updated.schedule_state?.windows_checked_at ?? now.toISOString() } } : null;
    await ports.deployments.putSchedule(tenant, id, schedule, now.toISOString()).catch(onStaleWrite(() => new ConflictError(`deployment '${id}' is being deleted`)));
  }
  return updated;
};
