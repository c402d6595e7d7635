/** The gateway's pure parts: which deployment a URL names, the SSE relay's usage handling, the meter's batches. */
import { describe, expect, it } from 'vitest';
import { Meter } from '../../../gateway/metering';
import { routeRequest, upstreamBase } from '../../../gateway/routing';
import { sseRelay } from '../../../gateway/sse';
import type { UsageIncrement } from '../../../functions/ports';

describe('routeRequest', () => {
  it('reads org, project and deployment id from the endpoint_url path, keeping the OpenAI path and query', () => {
    expect(routeRequest('/orgs/org-a/projects/prj-1/aimodels/dep-xyz/v1/chat/completions?x=1', 'gw.example.com', undefined)).toEqual({
      org_id: 'org-a',
      project_id: 'prj-1',
      deploymentId: 'dep-xyz',
      upstreamPath: '/v1/chat/completions?x=1',
    });
    expect(routeRequest('/orgs/org-a/projects/prj-1/aimodels/dep-xyz/v1', undefined, undefined)).toMatchObject({ upstreamPath: '/v1' });
  });

  it('routes nothing else: other paths, the model server\'s non-/v1 paths, traversal', () => {
    for (const url of ['/v1/models', '/orgs/org-a/projects/prj-1/aimodels/dep-xyz/metrics', '/orgs/org-a/projects/prj-1/aimodels/dep-xyz/v1x', '/orgs/../projects/p/aimodels/d/v1', '/']) {
      expect(routeRequest(url, undefined, undefined), url).toBeUndefined();
    }
  });

  it('routes <name>.<project>.<org>.<suffix> only when a host suffix is configured', () => {
    expect(routeRequest('/v1/models', 'chat.prj-1.org-a.inference.example.com:443', 'inference.example.com')).toEqual({
      org_id: 'org-a',
      project_id: 'prj-1',
      deploymentName: 'chat',
      upstreamPath: '/v1/models',
    });
    expect(routeRequest('/v1/models', 'chat.prj-1.org-a.inference.example.com', undefined)).toBeUndefined();
    expect(routeRequest('/v1/models', 'a.chat.prj-1.org-a.inference.example.com', 'inference.example.com')).toBeUndefined();
    expect(routeRequest('/v1/models', 'evil.com', 'inference.example.com')).toBeUndefined();
  });

  it('fills the upstream template', () => {
    expect(upstreamBase('http://{service}.{namespace}.svc.cluster.local:8000', 'model-abc', 'models').href).toBe('http://model-abc.models.svc.cluster.local:8000/');
  });
});

const event = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\n\n`;
const content = (text: string, usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
  ...(usage ? { usage } : {}),
});

describe('sseRelay', () => {
  const run = (input: string, wantsUsage: boolean, wantsContinuous = false) => {
    let out = '';
    const { parser, tally } = sseRelay((text) => (out += text), wantsUsage, wantsContinuous);
    // Split anywhere: the parser joins the pieces.
    for (let i = 0; i < input.length; i += 7) parser.feed(input.slice(i, i + 7));
    return { out, tally };
  };
  const usage = (p: number, c: number) => ({ prompt_tokens: p, completion_tokens: c, total_tokens: p + c });
  const stream = event(content('Hi', usage(5, 1))) + event(content(' there', usage(5, 2))) + event({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: usage(5, 2) }) + 'data: [DONE]\n\n';

  it('takes vLLM\'s counts and removes the usage the client did not ask for', () => {
    const { out, tally } = run(stream, false);
    expect(tally).toEqual({ usage: { prompt_tokens: 5, completion_tokens: 2 }, complete: true, chunks: 2 });
    expect(out).toBe(event(content('Hi')) + event(content(' there')) + 'data: [DONE]\n\n');
  });

  it('keeps the final usage chunk for a client that asked for it, and per-chunk usage only if it asked for that too', () => {
    expect(run(stream, true).out).toBe(event(content('Hi')) + event(content(' there')) + event({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: usage(5, 2) }) + 'data: [DONE]\n\n');
    expect(run(stream, true, true).out).toBe(stream);
  });

  it('a stream cut before the end keeps the last counts seen and is not complete', () => {
    const { tally } = run(event(content('Hi', usage(5, 1))) + event(content(' the', usage(5, 2))), false);
    expect(tally).toEqual({ usage: { prompt_tokens: 5, completion_tokens: 2 }, complete: false, chunks: 2 });
  });

  it('removes usage that is not last, or nested, by parsing the chunk', () => {
    const nested = { usage: { prompt_tokens: 3, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0 } }, choices: [{ index: 0, delta: { content: 'x' } }] };
    const { out, tally } = run(event(nested), false);
    expect(out).toBe(event({ choices: [{ index: 0, delta: { content: 'x' } }] }));
    expect(tally.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1 });
  });
});

describe('Meter', () => {
  const tenant = { org_id: 'org-a', project_id: 'prj-1' };

  it('sums per key, deployment and day, and writes one batch per flush', async () => {
    const batches: UsageIncrement[][] = [];
    const meter = new Meter({ add: async (rows) => void batches.push([...rows]) }, () => new Date('2026-12-07T10:00:00Z'));
    meter.record(tenant, 'ik1', 'dep-1', { promptTokens: 5, completionTokens: 7, estimated: false });
    meter.record(tenant, 'ik1', 'dep-1', { promptTokens: 1, completionTokens: 2, estimated: true });
    meter.record(tenant, 'ik2', 'dep-1', { promptTokens: 3, completionTokens: 0, estimated: false });
    await meter.flush();
    await meter.flush();
    expect(batches).toEqual([
      [
        { ...tenant, keyId: 'ik1', deploymentId: 'dep-1', day: '2026-12-07', requests: 2, promptTokens: 6, completionTokens: 9, estimatedRequests: 1 },
        { ...tenant, keyId: 'ik2', deploymentId: 'dep-1', day: '2026-12-07', requests: 1, promptTokens: 3, completionTokens: 0, estimatedRequests: 0 },
      ],
    ]);
  });

  it('keeps a batch that failed and adds it to the next', async () => {
    let fail = true;
    const written: UsageIncrement[][] = [];
    const errors: unknown[] = [];
    const meter = new Meter(
      {
        add: async (rows) => {
          if (fail) throw new Error('throttled');
          written.push([...rows]);
        },
      },
      () => new Date('2026-12-07T10:00:00Z'),
      (error) => errors.push(error),
    );
    meter.record(tenant, 'ik1', 'dep-1', { promptTokens: 5, completionTokens: 7, estimated: false });
    await meter.flush();
    fail = false;
    meter.record(tenant, 'ik1', 'dep-1', { promptTokens: 1, completionTokens: 1, estimated: false });
    await meter.close();
    expect(errors).toHaveLength(1);
    expect(written).toEqual([[expect.objectContaining({ keyId: 'ik1', requests: 2, promptTokens: 6, completionTokens: 8 })]]);
  });
});
