/**
 * The gateway on the in-memory ports in front of a fake model server: what goes upstream (the
 * model server's key, never the client's), what comes back, and the load it publishes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret, newInferenceKey } from '../../../functions/domain/inference-keys';
import { createGateway, type RunningGateway } from '../../../gateway/server';
import { InMemoryGatewaySecrets, InMemoryInferenceKeyStore, InMemoryLoadSignals, InMemoryTokenUsage } from '../../support/in-memory/data-plane';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const setup = async () => {
  const seen: { host?: string; authorization?: string; body: string }[] = [];
  const upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ host: req.headers.host, authorization: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json', server: 'uvicorn' });
      res.end(JSON.stringify({ object: 'chat.completion', choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } }));
    });
  });
  await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', () => done()));
  closers.push(() => new Promise((done) => upstream.close(() => done())));
  const ports = inMemoryPorts();
  ports.deployments.seed(aDeployment());
  const keys = new InMemoryInferenceKeyStore();
  const secrets = new InMemoryGatewaySecrets();
  const usage = new InMemoryTokenUsage();
  const load = new InMemoryLoadSignals();
  const fresh = newInferenceKey();
  await keys.create({
    id: fresh.keyId,
    ...TENANT,
    name: 'k',
    key_prefix: fresh.keyPrefix,
    hash: hashSecret(await secrets.keyHashPepper(), fresh.secret),
    created_at: '2026-12-07T00:00:00Z',
    expires_at: null,
    revoked_at: null,
    deployment_ids: null,
    limits: {},
  });
  const gateway: RunningGateway = await createGateway(
    { deployments: ports.deployments, inferenceKeys: keys, tokenUsage: usage, gatewaySecrets: secrets, loadSignals: load },
    {
      namespace: 'models',
      upstreamTemplate: 'http://{service}.{namespace}.svc.cluster.local:8000',
      connectTo: () => ({ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }),
      instanceId: 'gw-1',
    },
  ).listen(0);
  closers.push(() => gateway.close());
  return { gateway, seen, key: fresh, secrets, usage, load };
};

describe('the gateway in front of a model server', () => {
  it('sends the model server its own key and the Service host, answers what it answered, meters and publishes load', async () => {
    const { gateway, seen, key, secrets, usage, load } = await setup();
    const response = await fetch(`${gateway.url}/orgs/${TENANT.org_id}/projects/${TENANT.project_id}/aimodels/dep-0001/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', cookie: 'session=1' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('server')).toBeNull();
    expect(await response.json()).toMatchObject({ usage: { total_tokens: 10 } });
    expect(seen).toEqual([{ host: 'model-0001.models.svc.cluster.local:8000', authorization: `Bearer ${await secrets.modelServerKey('dep-0001')}`, body: expect.stringContaining('"hi"') }]);
    expect(JSON.stringify(seen)).not.toContain(key.secret);
    await gateway.flushUsage();
    expect(await usage.ofKey(key.keyId)).toEqual([expect.objectContaining({ deploymentId: 'dep-0001', requests: 1, promptTokens: 4, completionTokens: 6, estimatedRequests: 0 })]);
    await gateway.publishLoad();
    expect(await load.read('dep-0001', new Date(0))).toEqual({ inFlight: 0, held: 0, completed: 1, instances: 1 });
  });
});
