/** PUT …/aimodels/{model_id}/schedule: scaling windows (cron in an IANA zone) and an idle timeout. */
import { apiHandler, authorizeTenant, deploymentIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { parseOrThrow } from '../domain/requests';
import { scheduleSchema } from '../../contract/requests/schedule';
import { putSchedule as put } from '../use-cases/schedules';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, clock };

export const putSchedule = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const id = deploymentIdOf(event);
  const schedule = parseOrThrow(scheduleSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  return json(200, await put(ports, tenant, id, schedule, now));
};

export const handler = apiHandler(putSchedule);
