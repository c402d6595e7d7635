/**
 * POST …/aimodels/yaml (Jan's "advanced YAML"): a Deployment manifest (application/yaml),
 * admitted by functions/domain/yaml-manifest.ts, deployed as a custom model by the same use
 * case and workflow as POST …/aimodels. Query: gpu_config_id, plan_id, optional region, name,
 * dry_run.
 */
import { apiHandler, authorizeTenant, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toDeploymentView } from '../domain/deployment';
import { parseOrThrow } from '../domain/requests';
import { yamlDeployQuerySchema } from '../../contract/requests/deploy';
import { parseManifest, resolveYamlDeployment } from '../domain/yaml-manifest';
import { createDeployment } from '../use-cases/deployments';
import { planDeployment } from '../use-cases/plan-deployment';
import { capacityLedger } from '../wiring/capacity-ledger';
import { deploymentStore } from '../wiring/deployment-store';
import { servingSettings } from '../wiring/serving-settings';
import { tokenSecrets } from '../wiring/token-secrets';
import { workflowEngine } from '../wiring/workflow-engine';

const ports = { deployments: deploymentStore, ledger: capacityLedger, serving: servingSettings, workflows: workflowEngine, secrets: tokenSecrets };

export const deployYaml = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const query = parseOrThrow(yamlDeployQuerySchema, event.queryStringParameters ?? {}, 'query string');
  const manifest = parseManifest(event.body, event.isBase64Encoded, headerOf(event, 'content-type'));
  const spec = resolveYamlDeployment(manifest, query);
  if (query.dry_run) return json(200, await planDeployment(ports, tenant, spec, now));
  const record = await createDeployment(ports, tenant, spec, now);
  return json(201, toDeploymentView(record, now));
};

export const handler = apiHandler(deployYaml);
