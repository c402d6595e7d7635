/** GET …/aimodels/{model_id}: the deployment's current state, with an ETA while it starts. */
import { timeScale } from '../adapters/clock';
import { coldStartSamples } from '../adapters/cold-start-stats';
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { weightsGiB } from '../../contract/catalog';
import { toDeploymentView } from '../domain/deployment';
import { estimateReadyAt } from '../domain/eta';
import { EXPECTED_NODE_SECONDS } from '../domain/startup';
import { deploymentModelOf } from '../use-cases/catalog';
import { getDeployment as get } from '../use-cases/deployments';

export const getDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const record = await get(tenant, deploymentIdOf(event));
  let eta = null;
  if (record.status === 'initializing' && record.phase !== 'paused' && record.timeline?.accepted) {
    const [model, samples] = await Promise.all([deploymentModelOf(record), coldStartSamples(record.catalog_id, record.gpu_config_id)]);
    eta = estimateReadyAt(record.timeline.accepted, samples, model ? weightsGiB(model) : (record.custom?.model_size_gib ?? 10), EXPECTED_NODE_SECONDS, timeScale);
  }
  return json(200, toDeploymentView(record, now, eta));
};

export const handler = apiHandler(getDeployment);
