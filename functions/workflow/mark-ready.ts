/** Records `ready`, the endpoint and, if it was not serving before, when it became ready. */
import * as z from 'zod';
import { now, timeScale } from '../adapters/clock';
import { recordColdStart } from '../adapters/cold-start-stats';
import { updateDeployment } from '../adapters/deployment-repository';
import { namespace } from '../adapters/model-namespace';
import { readEnv } from '../commons/env';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { workloadName } from '../domain/deployment';

const env = readEnv({
  ENDPOINT_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000/v1'),
});

export const endpointUrl = (service: string): string =>
  env.ENDPOINT_URL_TEMPLATE.replaceAll('{service}', service).replaceAll('{namespace}', namespace);

export const markReady = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  const at = now();
  const updated = await updateDeployment(
    record,
    record.id,
    {
      status: 'ready',
      phase: 'ready',
      fail_reason: null,
      endpoint_url: endpointUrl(workloadName(record.id)),
      ready_since: record.status === 'ready' && record.ready_since ? record.ready_since : at.toISOString(),
    },
    { executionArn: input.execution },
    {
      now: at,
      milestones: ['ready'],
      event: { type: 'ready', message: `${record.replicas} replica(s) ready; serving at the endpoint` },
    },
  ).catch(asSuperseded);
  if (record.operation === 'deploy' && updated.timeline.accepted) {
    await recordColdStart(record.catalog_id, record.gpu_config_id, (at.getTime() - Date.parse(updated.timeline.accepted)) / 1000 / timeScale);
  }
  return { status: updated.status, replicas: updated.replicas, ready_since: updated.ready_since };
};

export const handler = workflowTask('mark-ready', markReady);
