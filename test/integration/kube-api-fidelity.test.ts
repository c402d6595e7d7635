/**
 * The Kubernetes API details kubectl relies on, checked at the HTTP level (no kubectl needed):
 * watch semantics (410 Expired, selectors, timeoutSeconds, initial events), Table negotiation,
 * field validation directives, OpenAPI discovery, log option validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../local/sim/index.js';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ clusterName: 'fidelity', timeScale: 0.01, nodeGroups: [] });
});
afterAll(async () => {
  await sim?.close();
});

const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${sim.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });

const configMap = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' }, ...extra });

/** Reads watch events until `count` arrived or the stream ended. */
const readEvents = async (response: Response, count: number, timeoutMs = 5000): Promise<{ type: string; object: Record<string, unknown> }[]> => {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (events.length < count && Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((resolve) => setTimeout(() => resolve({ value: undefined, done: true }), deadline - Date.now()))]);
    if (done) break;
    buffer += new TextDecoder().decode(value);
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buffer.slice(0, newline)) as { type: string; object: Record<string, unknown> });
      buffer = buffer.slice(newline + 1);
    }
  }
  await reader.cancel().catch(() => undefined);
  return events;
};

describe('watch', () => {
  it('answers a compacted resourceVersion with an ERROR event carrying 410 Expired', async () => {
    const response = await api('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=5');
    expect(response.status).toBe(200);
    const [event] = await readEvents(response, 1);
    expect(event?.type).toBe('ERROR');
    expect(event?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(String(event?.object.message)).toMatch(/^too old resource version: 5 \(\d+\)$/);
  });

  it('resumes from a resourceVersion, applies the label selector, and turns leaving it into DELETED', async () => {
    const list = (await (await api('/api/v1/namespaces/default/configmaps')).json()) as { metadata: { resourceVersion: string } };
    const response = await api(`/api/v1/namespaces/default/configmaps?watch=1&labelSelector=team%3Da&resourceVersion=${list.metadata.resourceVersion}`);
    await api('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('w1', { team: 'a' }) });
    await api('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('w2', { team: 'b' }) });
    await api('/api/v1/namespaces/default/configmaps/w1', { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { a: '2' } }) });
    await api('/api/v1/namespaces/default/configmaps/w1', { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { team: 'b' } } }) });
    const events = await readEvents(response, 3);
    expect(events.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([
      ['ADDED', 'w1'],
      ['MODIFIED', 'w1'],
      ['DELETED', 'w1'],
    ]);
    expect(events[0]?.object.kind).toBe('ConfigMap');
  });

  it('ends the stream after timeoutSeconds, and sends initial events then the initial-events-end bookmark', async () => {
    const started = Date.now();
    const timed = await api('/api/v1/namespaces?watch=true&timeoutSeconds=1');
    const initial = await readEvents(timed, 100, 4000);
    expect(Date.now() - started).toBeLessThan(3500);
    expect(initial.every((e) => e.type === 'ADDED')).toBe(true);
    expect(initial.map((e) => (e.object.metadata as { name: string }).name)).toContain('kube-system');

    const stream = await api('/api/v1/namespaces?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    const events = await readEvents(stream, 100, 4000);
    const last = events[events.length - 1];
    expect(last?.type).toBe('BOOKMARK');
    expect((last?.object.metadata as { annotations: Record<string, string> }).annotations['k8s.io/initial-events-end']).toBe('true');
    const bad = await api('/api/v1/namespaces?watch=true&sendInitialEvents=true');
    expect(bad.status).toBe(400);

    // The deprecated /watch/ path of one object: only that object's events.
    const legacy = await api('/api/v1/watch/namespaces/kube-public?timeoutSeconds=1');
    const only = await readEvents(legacy, 100, 4000);
    expect(only.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([['ADDED', 'kube-public']]);
  });
});

describe('tables', () => {
  it('negotiates meta.k8s.io Tables, v1 and v1beta1, with includeObject', async () => {
    const accept = 'application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const table = (await (await api('/api/v1/namespaces?includeObject=None', { headers: { accept } })).json()) as Record<string, unknown>;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1' });
    expect((table.columnDefinitions as { name: string }[]).map((c) => c.name)).toEqual(['Name', 'Status', 'Age']);
    const rows = table.rows as { cells: unknown[]; object?: unknown }[];
    expect(rows.find((r) => r.cells[0] === 'default')?.cells[1]).toBe('Active');
    expect(rows[0]?.object).toBeUndefined();
    const withObject = (await (await api('/api/v1/namespaces/default?includeObject=Object', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).json()) as { rows: { object: { kind: string } }[] };
    expect(withObject.rows[0]?.object.kind).toBe('Namespace');
    const metadataOnly = (await (await api('/api/v1/namespaces', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).json()) as { rows: { object: { kind: string } }[] };
    expect(metadataOnly.rows[0]?.object.kind).toBe('PartialObjectMetadata');
    const refused = await api('/api/v1/namespaces', { headers: { accept: 'application/json;as=Table;v=v2;g=meta.k8s.io' } });
    expect(refused.status).toBe(406);
  });
});

describe('field validation', () => {
  it('Strict fails, Warn warns (the default), Ignore ignores unknown fields', async () => {
    const body = configMap('fv', {}, { bogus: 1, metadata: { name: 'fv', colour: 'red' } });
    const strict = await api('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { method: 'POST', body });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { message: string }).message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.colour", unknown field "bogus"');
    const warned = await api('/api/v1/namespaces/default/configmaps', { method: 'POST', body });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"metadata.colour\\"", 299 - "unknown field \\"bogus\\""');
    const ignored = await api('/api/v1/namespaces/default/configmaps/fv?fieldValidation=Ignore', { method: 'PUT', body });
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('warning')).toBeNull();
    const wrong = await api('/api/v1/namespaces/default/configmaps?fieldValidation=Loose', { method: 'POST', body });
    expect(wrong.status).toBe(400);
  });
});

describe('openapi', () => {
  it('serves v3 discovery and group-version documents whose PATCH operations declare fieldValidation', async () => {
    const root = (await (await api('/openapi/v3')).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/discovery.k8s.io/v1']));
    const doc = (await (await api(root.paths['apis/apps/v1']?.serverRelativeURL ?? '')).json()) as {
      paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': unknown } }>;
      components: { schemas: Record<string, { properties: Record<string, { type?: string }> }> };
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch?.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect(doc.components.schemas.V1DeploymentSpec?.properties.replicas?.type).toBe('integer');
    const v2 = await api('/openapi/v2', { headers: { accept: 'application/json' } });
    expect(((await v2.json()) as { swagger: string }).swagger).toBe('2.0');
    expect((await api('/openapi/v3/apis/nope/v1')).status).toBe(404);
  });
});

describe('pod logs options', () => {
  it('refuses sinceSeconds with sinceTime, and a non-positive sinceSeconds, before looking at the pod', async () => {
    await api('/api/v1/namespaces/default/pods', {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ containerPort: 80 }], livenessProbe: { tcpSocket: { port: 80 } } }] } }),
    });
    const both = await api('/api/v1/namespaces/default/pods/lonely/log?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z');
    expect(both.status).toBe(400);
    expect(((await both.json()) as { message: string }).message).toContain('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect((await api('/api/v1/namespaces/default/pods/lonely/log?sinceSeconds=0')).status).toBe(400);
    const pod = (await (await api('/api/v1/namespaces/default/pods/lonely')).json()) as { spec: { containers: { ports: { protocol: string }[]; livenessProbe: Record<string, number> }[] } };
    expect(pod.spec.containers[0]?.ports[0]?.protocol).toBe('TCP');
    expect(pod.spec.containers[0]?.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  });
});
