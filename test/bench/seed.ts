/**
 * Deployment records for the benchmarks: one real deploy through the API gives the exact item
 * the repository writes; copies of it (new id, name and keys, time-ordered like real ids) are
 * written straight into dynalite in batches, each with its name claim, as
 * functions/adapters/deployment-records.ts and deployment-names.ts lay them out.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { newDeploymentId } from '../../functions/domain/ids';
import { ORG, REGION, TABLE_NAME, deploymentsPath, type BenchCloud } from './harness';
import { pollUntil } from './results';

export type Item = Record<string, unknown>;

export const documentClientFor = (endpoint: string) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 }), {
    marshallOptions: { removeUndefinedValues: true },
  });

export const SMALL_MODEL = {
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
} as const;

/** Deploys a small model through the API, waits until it is ready, and returns its stored item. */
export const readyDeploymentItem = async (cloud: BenchCloud, project: string): Promise<Item> => {
  const created = await cloud.api('POST', deploymentsPath(project), { name: 'template', ...SMALL_MODEL });
  if (created.status !== 201) throw new Error(`template deploy answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  await pollUntil(
    async () => {
      const { body } = await cloud.api('GET', `${deploymentsPath(project)}/${id}`);
      if (body?.status === 'failed') throw new Error(`template deploy failed: ${JSON.stringify(body.fail_reason)}`);
      return body?.status === 'ready' ? body : undefined;
    },
    'the template deployment to be ready',
    120_000,
    100,
  );
  const doc = documentClientFor(cloud.dynamoUrl);
  const { Item } = await doc.send(new GetCommand({ TableName: TABLE_NAME, Key: { pk: `TENANT#${ORG}#${project}`, sk: `DEP#${id}` }, ConsistentRead: true }));
  doc.destroy();
  if (!Item) throw new Error('the template deployment is not in the table');
  return Item;
};

/** `value` with every occurrence of `from` replaced, through strings, arrays and maps. */
const replaceEverywhere = (value: unknown, from: string, to: string): unknown => {
  if (typeof value === 'string') return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((v) => replaceEverywhere(v, from, to));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceEverywhere(v, from, to)]));
  return value;
};

/**
 * `count` copies of `template` in `project`, oldest first; each a deployment item (the
 * template's id replaced everywhere: keys, index keys, execution ARN, endpoint) plus its name
 * claim. With the project's deployment counter (`counterItem`) that is what `count` creates
 * through the repository would leave (less the event history, which the list never reads).
 */
export const cloneDeployments = (template: Item, project: string, count: number, startMs = Date.now() - count * 1000): { id: string; items: Item[] }[] => {
  const oldId = String(template.id);
  const oldPk = String(template.pk);
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(startMs + i * 1000);
    const id = newDeploymentId(at);
    const name = `bench-${String(i).padStart(5, '0')}`;
    const pk = `TENANT#${ORG}#${project}`;
    const deployment = {
      ...(replaceEverywhere(template, oldId, id) as Item),
      pk,
      name,
      project_id: project,
      created_at: at.toISOString(),
    };
    if (String(deployment.pk) === oldPk) throw new Error('clone kept the template key');
    return { id, items: [deployment, { pk, sk: `NAME#${name}`, deployment_id: id }] };
  });
};

/** The project's deployment counter as the repository keeps it (pk = TENANT#…, sk = COUNTER). */
export const counterItem = (project: string, deployments: number): Item => ({ pk: `TENANT#${ORG}#${project}`, sk: 'COUNTER', deployments });

/** BatchWriteItem in batches of 25, a few in flight, retrying unprocessed items. */
export const writeItems = async (endpoint: string, items: readonly Item[], concurrency = 4): Promise<void> => {
  const doc = documentClientFor(endpoint);
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    for (let batch = batches[next++]; batch; batch = batches[next++]) {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error('dynalite keeps returning unprocessed items');
        const { UnprocessedItems } = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: pending } }));
        pending = (UnprocessedItems?.[TABLE_NAME] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  doc.destroy();
};
