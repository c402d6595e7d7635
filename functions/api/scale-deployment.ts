/** PUT …/aimodels/{model_id}/scale: change replicas; the scale workflow does the work. */
import { apiHandler, authorizeTenant, deploymentIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { findGpuConfig } from '../domain/catalog';
import { toDeploymentView } from '../domain/deployment';
import { ValidationError } from '../domain/errors';
import { parseOrThrow, scaleDeploymentSchema } from '../domain/requests';
import { getDeployment, scaleDeployment as scale } from '../use-cases/deployments';

export const scaleDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const id = deploymentIdOf(event);
  const { replicas } = parseOrThrow(scaleDeploymentSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  const current = await getDeployment(tenant, id);
  const group = findGpuConfig(current.gpu_config_id);
  if (group && replicas * current.gpu_count > group.node_group.max_size * group.gpus_per_node) {
    throw new ValidationError(
      `replicas ${replicas} x ${current.gpu_count} GPUs exceed node group '${group.node_group.name}' (${group.node_group.max_size} nodes of ${group.gpus_per_node} GPUs)`,
      'replicas',
    );
  }
  const record = await scale(tenant, id, replicas, now);
  return json(200, toDeploymentView(record, now));
};

export const handler = apiHandler(scaleDeployment);
