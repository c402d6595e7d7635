/**
 * POST …/aimodels: validate against catalog (or, for a custom model, the huggingface_id rules),
 * inventory and GPU memory, store an hf_token as a secret, reserve capacity, record, start the
 * deploy workflow. `?dry_run=true` returns the plan instead (200).
 */
import { apiHandler, authorizeTenant, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { idempotentTenantWrite } from '../commons/idempotency';
import { parseJsonBody } from '../commons/json-body';
import { toDeploymentView } from '../domain/deployment';
import { deployQuerySchema } from '../../contract/requests/deploy';
import { parseOrThrow } from '../domain/requests';
import { createDeployment as create } from '../use-cases/deployments';
import { planDeployment } from '../use-cases/plan-deployment';
import { resolveDeployRequest } from '../use-cases/resolve-deployment';
import { capacityLedger } from '../wiring/capacity-ledger';
import { catalogStore } from '../wiring/catalog-store';
import { deploymentStore } from '../wiring/deployment-store';
import { idempotencyStore } from '../wiring/idempotency-store';
import { servingSettings } from '../wiring/serving-settings';
import { tokenSecrets } from '../wiring/token-secrets';
import { workflowEngine } from '../wiring/workflow-engine';

const ports = { catalog: catalogStore, deployments: deploymentStore, ledger: capacityLedger, serving: servingSettings, workflows: workflowEngine, secrets: tokenSecrets };

export const createDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const body = parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type'));
  const spec = await resolveDeployRequest(ports, body);
  const { dry_run } = parseOrThrow(deployQuerySchema, event.queryStringParameters ?? {}, 'query string');
  if (dry_run) return json(200, await planDeployment(ports, tenant, spec, now));
  const record = await create(ports, tenant, spec, now);
  return json(201, toDeploymentView(record, now));
};

/** Idempotency-Key (functions/commons/idempotency.ts): innermost, after the shared chain. */
export const handler = apiHandler(createDeployment).use(idempotentTenantWrite('create-deployment', idempotencyStore('create-deployment')));
