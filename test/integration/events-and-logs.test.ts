/**
 * GET …/{id}/events and GET …/{id}/logs over real HTTP against the local cloud: the events
 * contract (shape, order, cursor pagination, tenancy, validation) with whatever history the
 * workflows wrote plus a few seeded events, and the vLLM log tail of a ready deployment's pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentEvent } from '../../functions/adapters/event-log';
import { encodeEventCursor } from '../../contract/requests/queries';
import { BASE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

type AppendEvent = (tenant: { org_id: string; project_id: string }, deploymentId: string, event: DeploymentEvent) => Promise<void>;

let t: TestCloud;
let appendEvent: AppendEvent;
let id: string;

const deployBody = (name: string, gpu = 'l4-24gb') => ({
  name,
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: gpu,
  gpu_count: 1,
  plan_id: `plan-${gpu}-ondemand`,
});

beforeAll(async () => {
  t = await startTestCloud(0.01);
  // The adapter reads TABLE_NAME and DYNAMODB_ENDPOINT at import: only now are they set.
  ({ appendEvent } = await import('../../functions/adapters/event-log'));
  const created = await t.api('POST', BASE, { body: deployBody('qwen-history') });
  expect(created.status).toBe(201);
  id = created.body.id;
  await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status !== 'initializing', 'ready');
  expect((await t.api('GET', `${BASE}/${id}`)).body.status).toBe('ready');
});
afterAll(async () => {
  await t?.close();
});

interface EventView {
  at: string;
  type: string;
  status: string;
  phase: string;
  message: string;
  reason?: string;
  execution_arn?: string;
}
const EVENT_FIELDS = ['at', 'type', 'status', 'phase', 'message', 'reason', 'execution_arn'];

const events = (query = '', options: { token?: string; base?: string; of?: string } = {}) =>
  t.api('GET', `${options.base ?? BASE}/${options.of ?? id}/events${query}`, { token: options.token });
const logs = (query = '', of = id) => t.api('GET', `${BASE}/${of}/logs${query}`);

/** The whole history once it stopped changing (a workflow may still append its last event). */
const settledHistory = async (): Promise<EventView[]> => {
  let previous = '';
  const settled = await waitFor(
    () => events('?limit=100'),
    (r) => {
      const same = JSON.stringify(r.body) === previous;
      previous = JSON.stringify(r.body);
      return same;
    },
    'the event history to settle',
    10_000,
  );
  expect(settled.body.next_cursor).toBeNull();
  return settled.body.items as EventView[];
};

describe('GET …/{id}/events', () => {
  it('lists the history oldest first, with only the documented fields', async () => {
    const base = new Date(Date.now() + 60_000).getTime();
    for (const [i, type] of ['seeded_one', 'seeded_two', 'seeded_three'].entries()) {
      await appendEvent({ org_id: ORG, project_id: PROJECT }, id, {
        at: new Date(base + i).toISOString(),
        status: 'ready',
        phase: 'ready',
        type,
        message: `seeded by the test (${i})`,
        ...(i === 1 ? { reason: 'TestReason' } : {}),
      });
    }

    const response = await events();
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['items', 'next_cursor']);
    const items = response.body.items as EventView[];
    expect(items.length).toBeGreaterThanOrEqual(3);
    for (const item of items) {
      expect(Object.keys(item).every((key) => EVENT_FIELDS.includes(key))).toBe(true);
      expect(item).toMatchObject({ at: expect.any(String), type: expect.any(String), status: expect.any(String), phase: expect.any(String), message: expect.any(String) });
      if (item.execution_arn) expect(item.execution_arn).toContain(`:${id}-`);
    }
    const times = items.map((item) => Date.parse(item.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(items.slice(-3).map((item) => item.type)).toEqual(['seeded_one', 'seeded_two', 'seeded_three']);
    expect(items.at(-2)).toMatchObject({ reason: 'TestReason' });
    // What the API and workflows recorded, once that is wired in, includes the acceptance.
    if (items.length > 3) expect(items.map((item) => item.type)).toContain('accepted');
  });

  it('pages through the whole history with limit=1, each event exactly once, ending with next_cursor null', async () => {
    const all = await settledHistory();
    const paged: EventView[] = [];
    let cursor: string | null = null;
    for (let page = 0; page <= all.length; page++) {
      const response = await events(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(1);
      paged.push(...(response.body.items as EventView[]));
      cursor = response.body.next_cursor;
      if (cursor === null) break;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(cursor).toBeNull();
    expect(paged).toEqual(all);
  });

  it('keeps histories apart by tenant: another tenant gets 404, never their own events under our id', async () => {
    await appendEvent({ org_id: 'org-other', project_id: 'prj-x' }, id, {
      at: new Date().toISOString(),
      status: 'ready',
      phase: 'ready',
      type: 'other_tenant_marker',
      message: 'must never show up for org-acme',
    });
    const otherToken = await t.token({ org_id: 'org-other', project_ids: 'prj-x' });
    const asOther = await events('', { token: otherToken, base: '/api/v1beta1/orgs/org-other/projects/prj-x/aimodels' });
    expect(asOther.status).toBe(404);
    expect(asOther.body).toEqual({ code: 'not_found', message: expect.stringContaining(id) });

    const otherProject = await t.token({ project_ids: 'prj-other' });
    expect((await events('', { token: otherProject })).status).toBe(404);
    expect((await events('', { token: otherProject, base: `/api/v1beta1/orgs/${ORG}/projects/prj-other/aimodels` })).status).toBe(404);

    const ours = await events('?limit=100');
    expect(ours.body.items.map((item: EventView) => item.type)).not.toContain('other_tenant_marker');
  });

  it('answers 404 for an unknown deployment', async () => {
    const response = await events('', { of: 'dep-doesnotexist' });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('not_found');
  });

  it.each([
    ['?cursor=not*base64', 'cursor'],
    [`?cursor=${encodeEventCursor('DEP#dep-x')}`, 'cursor'],
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
  ])('rejects %s with 400 naming %s', async (query, field) => {
    const response = await events(query);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'invalid_request', message: expect.stringContaining(field) });
  });
});

interface PodLogView {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  log: string;
  error?: string;
}
const lines = (log: string) => log.split('\n').filter((line) => line !== '');

describe('GET …/{id}/logs', () => {
  it('returns the vLLM log tail of the ready pod', async () => {
    const response = await logs();
    expect(response.status).toBe(200);
    expect(response.body.deployment_id).toBe(id);
    const pods = response.body.pods as PodLogView[];
    expect(pods).toHaveLength(1);
    const [pod] = pods;
    expect(pod).toMatchObject({ name: expect.stringMatching(/^model-/), phase: 'Running', ready: true, restarts: 0 });
    expect(pod?.error).toBeUndefined();
    expect(lines(pod?.log ?? '').length).toBeGreaterThan(3);
    expect(pod?.log).toMatch(/vLLM API server version/);
  });

  it('keeps at most tail_lines lines, and picks one replica by index or name', async () => {
    const tail = await logs('?tail_lines=3');
    expect(tail.status).toBe(200);
    const pod = (tail.body.pods as PodLogView[])[0];
    expect(lines(pod?.log ?? '').length).toBeGreaterThan(0);
    expect(lines(pod?.log ?? '').length).toBeLessThanOrEqual(3);

    const byIndex = await logs('?replica=0&tail_lines=1');
    expect(byIndex.body.pods.map((p: PodLogView) => p.name)).toEqual([pod?.name]);
    const byName = await logs(`?replica=${pod?.name}`);
    expect(byName.body.pods.map((p: PodLogView) => p.name)).toEqual([pod?.name]);
    expect((await logs('?replica=1')).status).toBe(404);
    expect((await logs('?replica=model-nope-abc12')).status).toBe(404);
  });

  it('reports a pod whose log cannot be read (no previous run) on that pod, not as a 500', async () => {
    const response = await logs('?previous=true');
    expect(response.status).toBe(200);
    const [pod] = response.body.pods as PodLogView[];
    expect(pod).toMatchObject({ log: '', error: expect.stringContaining('previous terminated container') });
  });

  it('answers 200 with no pods for a deployment whose pods do not exist yet', async () => {
    t.cloud.simulator.addFault({ match: { nodeGroup: 'gpu-a10g-24gb' }, fault: 'asg_launch_failure' });
    const created = await t.api('POST', BASE, { body: deployBody('qwen-no-nodes', 'a10g-24gb') });
    expect(created.status).toBe(201);
    const response = await logs('', created.body.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ deployment_id: created.body.id, pods: [] });
  });

  it('answers 404 for unknown deployments and other tenants', async () => {
    expect((await logs('', 'dep-doesnotexist')).status).toBe(404);
    const otherToken = await t.token({ org_id: 'org-other', project_ids: 'prj-x' });
    const asOther = await t.api('GET', `/api/v1beta1/orgs/org-other/projects/prj-x/aimodels/${id}/logs`, { token: otherToken });
    expect(asOther.status).toBe(404);
  });

  it('shows every replica oldest first once scaled, and picks the second by index', async () => {
    const [first] = (await logs()).body.pods as PodLogView[];
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } })).status).toBe(200);
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.phase === 'ready', 'ready after scale');
    const response = await logs('?tail_lines=2');
    const pods = response.body.pods as PodLogView[];
    expect(pods).toHaveLength(2);
    expect(pods[0]?.name).toBe(first?.name);
    for (const pod of pods) expect(lines(pod.log).length).toBeGreaterThan(0);
    expect((await logs('?replica=1')).body.pods.map((p: PodLogView) => p.name)).toEqual([pods[1]?.name]);
  });

  it.each([
    ['?tail_lines=0', 'tail_lines'],
    ['?tail_lines=5001', 'tail_lines'],
    ['?tail_lines=abc', 'tail_lines'],
    ['?previous=maybe', 'previous'],
    ['?replica=Not_A_Pod', 'replica'],
  ])('rejects %s with 400 naming %s', async (query, field) => {
    const response = await logs(query);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'invalid_request', message: expect.stringContaining(field) });
  });
});
