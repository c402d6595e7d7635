import { describe, expect, it } from 'vitest';
import { ConflictError, GatewayTimeoutError } from '../../../functions/domain/errors';
import { listServedModels, promptDeployment } from '../../../functions/use-cases/model-server';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const ENDPOINT = 'http://model-0001.models.svc.cluster.local:8000/v1';

describe('model server use cases', () => {
  it("sends a chat prompt to the deployment's endpoint, as the control plane, and returns the answer", async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment());
    ports.modelServers.answers.set(ENDPOINT, {
      kind: 'ok',
      body: { model: 'qwen-dep-0001', choices: [{ message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }] },
    });
    const answer = await promptDeployment(ports, TENANT, 'dep-0001', { mode: 'chat', prompt: 'Capital of France?', max_tokens: 16 }, 20_000);
    expect(answer).toMatchObject({ deployment_id: 'dep-0001', answer: 'Paris.', finish_reason: 'stop' });
    expect(ports.modelServers.calls).toEqual([
      expect.objectContaining({ method: 'POST', path: 'v1/chat/completions', endpointUrl: ENDPOINT, body: expect.objectContaining({ model: 'qwen-dep-0001' }), timeoutMs: 19_000 }),
    ]);
    // The control plane's credential at the gateway for this one deployment: neither a customer key nor the model server's own key.
    const credential = ports.modelServers.calls[0]?.apiKey;
    expect(credential).toBe(await ports.gatewaySecrets.controlPlaneKey('dep-0001'));
    expect(credential).not.toBe(await ports.gatewaySecrets.controlPlaneKey('dep-0002'));
    expect(credential).not.toBe(await ports.gatewaySecrets.modelServerKey('dep-0001'));
  });

  it('asks only a ready deployment, and maps a slow model server to 504', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ id: 'dep-0002', status: 'initializing', phase: 'loading_model' }));
    await expect(listServedModels(ports, TENANT, 'dep-0002', 20_000)).rejects.toBeInstanceOf(ConflictError);
    expect(ports.modelServers.calls).toEqual([]);
    ports.deployments.seed(aDeployment());
    ports.modelServers.answers.set(ENDPOINT, { kind: 'timeout' });
    await expect(listServedModels(ports, TENANT, 'dep-0001', 20_000)).rejects.toBeInstanceOf(GatewayTimeoutError);
  });
});
