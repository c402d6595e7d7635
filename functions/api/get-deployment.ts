/** GET …/aimodels/{model_id}: the deployment's current state, with an ETA while it starts. */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toDeploymentView } from '../domain/deployment';
import { deploymentWithEta } from '../use-cases/deployment-reads';
import { catalogStore } from '../wiring/catalog-store';
import { clock } from '../wiring/clock';
import { coldStartStats } from '../wiring/cold-start-stats';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, catalog: catalogStore, coldStarts: coldStartStats, clock };

export const getDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const { record, eta } = await deploymentWithEta(ports, tenant, deploymentIdOf(event));
  return json(200, toDeploymentView(record, now, eta));
};

export const handler = apiHandler(getDeployment);
