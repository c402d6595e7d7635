/**
 * Figure 1: API throughput and latency at 50 concurrent connections, beside a bare node:http
 * server that makes the same DynamoDB calls against the same dynalite.
 *
 * Both servers run in this process, as the local API gateway does (gateway, handlers and
 * dynalite share one event loop); autocannon runs in a child process. Runs go ours, bare,
 * bare, ours for each endpoint, so a slow drift of the machine hits both sides alike.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ORG, ROOT, TABLE_NAME, deploymentsPath, startBenchCloud } from './harness';
import { fmt, metWhen, ratioOf, table, type FigureResult, type Row } from './results';
import { SMALL_MODEL, cloneDeployments, counterItem, documentClientFor, readyDeploymentItem, writeItems } from './seed';

const CONNECTIONS = 50;
const DURATION_S = 5;
const WARMUP_S = 2;
const PROJECT = 'prj-api';
const LISTED = 150;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

interface Target {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');

/** One bounded autocannon run against a loopback URL, in a child process. */
const load = (target: Target, connections: number, seconds: number): Promise<LoadResult> => {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(target.url)) throw new Error(`load goes to 127.0.0.1 only, not ${target.url}`);
  const args = [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-m', target.method, '-j', '--timeout', '10'];
  for (const [key, value] of Object.entries(target.headers)) args.push('-H', `${key}=${value}`);
  if (target.body !== undefined) args.push('-b', target.body);
  args.push(target.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`));
      try {
        const json = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
          requests: { average: number; total: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          timeouts: number;
        };
        resolve({ rps: json.requests.average, p50: json.latency.p50, p99: json.latency.p99, requests: json.requests.total, non2xx: json.non2xx, errors: json.errors + json.timeouts });
      } catch (error) {
        reject(new Error(`unreadable autocannon output: ${String(error)}: ${out.slice(0, 300)}`));
      }
    });
  });
};

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((done, fail) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => done(text));
    request.on('error', fail);
  });

/** The baseline: node:http, no framework, no auth, the same DynamoDB calls through the same SDK. */
const startBareServer = async (dynamoUrl: string): Promise<{ url: string; close: () => Promise<void> }> => {
  const doc = documentClientFor(dynamoUrl);
  const pk = `TENANT#${ORG}#${PROJECT}`;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const [, what, id] = (request.url ?? '/').split('?')[0]!.split('/');
      let payload: unknown;
      if (what === 'get') {
        const { Item } = await doc.send(new GetCommand({ TableName: TABLE_NAME, Key: { pk, sk: `DEP#${id}` }, ConsistentRead: true }));
        payload = Item;
      } else if (what === 'list') {
        const { Items } = await doc.send(
          new QueryCommand({
            TableName: TABLE_NAME,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
            ExpressionAttributeValues: { ':pk': pk, ':dep': 'DEP#' },
            ScanIndexForward: false,
            Limit: 100,
          }),
        );
        payload = { items: Items };
      } else if (what === 'plan') {
        const body = JSON.parse(await readBody(request)) as { gpu_config_id: string };
        const { Items } = await doc.send(
          new QueryCommand({
            TableName: TABLE_NAME,
            IndexName: 'by-gpu-config',
            KeyConditionExpression: 'gsi1pk = :cfg',
            ExpressionAttributeValues: { ':cfg': `GPUCFG#${body.gpu_config_id}` },
            ProjectionExpression: 'id, gpu_count, replicas',
          }),
        );
        const { Item } = await doc.send(new GetCommand({ TableName: TABLE_NAME, Key: { pk: `CAPACITY#${body.gpu_config_id}`, sk: 'LEDGER' }, ConsistentRead: true }));
        payload = { demand: Items, ledger: Item ?? null };
      } else {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: String(error) }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
        doc.destroy();
      }),
  };
};

const mean = (a: number, b: number) => (a + b) / 2;
const combine = (a: LoadResult, b: LoadResult): LoadResult => ({
  rps: mean(a.rps, b.rps),
  p50: mean(a.p50, b.p50),
  p99: mean(a.p99, b.p99),
  requests: a.requests + b.requests,
  non2xx: a.non2xx + b.non2xx,
  errors: a.errors + b.errors,
});

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const cloud = await startBenchCloud({ timeScale: 0.01 });
  const bare = await startBareServer(cloud.dynamoUrl);
  try {
    const template = await readyDeploymentItem(cloud, 'prj-template');
    const clones = cloneDeployments(template, PROJECT, LISTED);
    await writeItems(cloud.dynamoUrl, [...clones.flatMap((c) => c.items), counterItem(PROJECT, LISTED)]);
    const someId = clones[Math.floor(LISTED / 2)]!.id;
    const auth = { authorization: `Bearer ${await cloud.token(PROJECT)}` };
    // dry run on a config no clone uses: its GPU index partition is as small as a live one
    const dryRunBody = JSON.stringify({ ...SMALL_MODEL, name: 'dry-run', gpu_config_id: 'a10g-24gb', plan_id: 'plan-a10g-24gb-ondemand' });
    const json = { 'content-type': 'application/json' };

    const endpoints: { name: string; ours: Target; bare: Target; baselineCalls: string; goal?: number }[] = [
      {
        name: 'GET deployment',
        ours: { url: `${cloud.apiUrl}${deploymentsPath(PROJECT)}/${someId}`, method: 'GET', headers: auth },
        bare: { url: `${bare.url}/get/${someId}`, method: 'GET', headers: {} },
        baselineCalls: 'GetItem (consistent)',
        goal: 0.5,
      },
      {
        name: 'list, limit 100',
        ours: { url: `${cloud.apiUrl}${deploymentsPath(PROJECT)}?limit=100`, method: 'GET', headers: auth },
        bare: { url: `${bare.url}/list`, method: 'GET', headers: {} },
        baselineCalls: 'Query, Limit 100',
      },
      {
        name: 'deploy (?dry_run=true)',
        ours: { url: `${cloud.apiUrl}${deploymentsPath(PROJECT)}?dry_run=true`, method: 'POST', headers: { ...auth, ...json }, body: dryRunBody },
        bare: { url: `${bare.url}/plan`, method: 'POST', headers: json, body: dryRunBody },
        baselineCalls: 'Query of the GPU index + GetItem of the ledger',
      },
    ];

    const rows: Row[] = [];
    const detail: string[][] = [];
    const ratios: Record<string, number> = {};
    for (const endpoint of endpoints) {
      // warm both (the first request imports the handler: a cold start is not what this measures)
      await load(endpoint.ours, 10, WARMUP_S);
      await load(endpoint.bare, 10, WARMUP_S);
      const o1 = await load(endpoint.ours, CONNECTIONS, DURATION_S);
      const b1 = await load(endpoint.bare, CONNECTIONS, DURATION_S);
      const b2 = await load(endpoint.bare, CONNECTIONS, DURATION_S);
      const o2 = await load(endpoint.ours, CONNECTIONS, DURATION_S);
      const ours = combine(o1, o2);
      const base = combine(b1, b2);
      const ratio = ratioOf(ours.rps, base.rps);
      ratios[endpoint.name] = ratio;
      rows.push({
        measure: `${endpoint.name}: throughput (req/s)`,
        value: fmt(ours.rps, 0),
        baseline: fmt(base.rps, 0),
        ratio: fmt(ratio, 2),
        goal: endpoint.goal === undefined ? 'report' : `>= ${endpoint.goal}`,
        met: endpoint.goal === undefined ? 'n/a' : metWhen(ratio >= endpoint.goal && ours.non2xx === 0 && ours.errors === 0),
      });
      rows.push({
        measure: `${endpoint.name}: p50 / p99 latency (ms)`,
        value: `${fmt(ours.p50, 0)} / ${fmt(ours.p99, 0)}`,
        baseline: `${fmt(base.p50, 0)} / ${fmt(base.p99, 0)}`,
        ratio: `${fmt(ratioOf(ours.p50, base.p50), 2)} / ${fmt(ratioOf(ours.p99, base.p99), 2)}`,
        goal: 'report',
        met: 'n/a',
      });
      detail.push([
        endpoint.name,
        endpoint.baselineCalls,
        `${fmt(o1.rps, 0)}, ${fmt(o2.rps, 0)}`,
        `${fmt(b1.rps, 0)}, ${fmt(b2.rps, 0)}`,
        String(ours.requests),
        `${ours.non2xx} / ${ours.errors}`,
        `${base.non2xx} / ${base.errors}`,
      ]);
    }
    return {
      id: 'api',
      title: 'API throughput and latency',
      method: [
        `autocannon (child process), ${CONNECTIONS} connections, ${DURATION_S} s per run after a ${WARMUP_S} s warm-up, 127.0.0.1 only; each endpoint runs ours, bare, bare, ours and the table shows the mean of the two runs of each side.`,
        'Ours: the local API gateway (ES256 JWT check, route table) and the production handler (middy, zod, use case, DynamoDB adapter), in one process with dynalite, like `npm start`.',
        'Baseline: a bare node:http server in the same process making the same DynamoDB calls through the same SDK against the same dynalite, without auth, validation or mapping.',
        `Data: ${LISTED} ready deployments (copies of a real deploy's item) in the listed project; GET reads one of them; the deploy is a dry run (a real deploy reserves GPUs in the capacity ledger, which would answer 409 after 16 deploys), on a GPU config with no live deployment.`,
      ],
      rows,
      details: table(['endpoint', 'baseline DynamoDB calls', 'ours req/s (run 1, 2)', 'baseline req/s (run 1, 2)', 'our requests', 'our non-2xx / errors', 'baseline non-2xx / errors'], detail),
      findings: [
        `GET keeps ${fmt(ratios['GET deployment'], 2)} of the bare server's throughput: the rest goes to the ES256 JWT verification of the local gateway (API Gateway's JWT authorizer in AWS), middy, zod and the response mapping, on the same single event loop as dynalite.`,
        `The list reaches ${fmt(ratios['list, limit 100'], 2)} of a single Query of 100 items; what each list request reads besides the page is in figure 5.`,
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    // let the requests autocannon left queued finish before DynamoDB goes away
    await new Promise((done) => setTimeout(done, 3000));
    await bare.close();
    await cloud.close();
  }
};
