/**
 * GET …/aimodels/{model_id}/usage: serving time, GPU time and cost so far, in total and per
 * UTC day (functions/domain/usage.ts), and the tokens the inference gateway metered.
 */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { findGpuConfig } from '../../contract/catalog';
import { unitPriceOf, uptimeSeconds } from '../domain/deployment';
import { deploymentTokensView } from '../domain/inference-key-views';
import { dailyUsage, figures, totalsAt, type UsageView } from '../domain/usage';
import { getDeployment } from '../use-cases/deployments';
import { deploymentStore } from '../wiring/deployment-store';
import { tokenUsageStore } from '../wiring/token-usage';

const ports = { deployments: deploymentStore };

export const getUsage = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const record = await getDeployment(ports, tenant, deploymentIdOf(event));
  const price = unitPriceOf(record);
  const plan = findGpuConfig(record.gpu_config_id)?.plans.find((p) => p.plan_id === record.plan_id);
  const view: UsageView = {
    id: record.id,
    as_of: now.toISOString(),
    uptime_seconds: uptimeSeconds(record, now),
    ...figures(totalsAt(record.usage, now).closed, price),
    unit_price: price,
    currency: plan?.currency ?? null,
    gpu_count: record.gpu_count,
    replicas: record.replicas,
    serving_since: record.usage?.open?.since ?? null,
    days: dailyUsage(record.usage, now, price),
    tokens: deploymentTokensView(await tokenUsageStore.ofDeployment(record.id)),
  };
  return json(200, view);
};

export const handler = apiHandler(getUsage);
