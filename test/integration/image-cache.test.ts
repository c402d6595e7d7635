/**
 * The serving image behind the ECR pull-through cache (issue 13, M2) on the local cloud: with
 * VLLM_IMAGE set as the stack sets it, the plan, the recipes and the pods use the ECR copy, and
 * Docker Hub's anonymous limit (in force for the whole test) never touches a deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byProject, qwenBody } from '../support/failures';
import { expectNothingLeaked } from '../support/leaks';
import { startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CACHED = '000000000000.dkr.ecr.us-east-1.amazonaws.com/docker-hub/vllm/vllm-openai:v0.11.0';
const previous = process.env.VLLM_IMAGE;
let t: TestCloud;

beforeAll(async () => {
  // Read by functions/adapters/serving-image.ts when the handlers are first imported.
  process.env.VLLM_IMAGE = CACHED;
  t = await startTestCloud(0.01, { cron: false });
}, 60_000);

afterAll(async () => {
  await t?.close();
  if (previous === undefined) delete process.env.VLLM_IMAGE;
  else process.env.VLLM_IMAGE = previous;
});

describe('serving image from the ECR pull-through cache', () => {
  it('the dry-run plan and the recipes name the cached image', async () => {
    const tenant = await t.tenant('prj-ecr-plan');
    const plan = await t.api('POST', `${tenant.base}?dry_run=true`, { token: tenant.token, body: qwenBody('m-ecr-plan') });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.manifests.deployment.spec.template.spec.containers[0].image).toBe(CACHED);
    const recipes = await t.api('GET', '/api/v1beta1/recipes', { token: tenant.token });
    expect(recipes.status).toBe(200);
    expect(new Set(recipes.body.items.map((recipe: { image: string }) => recipe.image))).toEqual(new Set([CACHED]));
  });

  it("deploys while Docker Hub refuses every anonymous pull: the nodes pull from ECR", async () => {
    const tenant = await t.tenant('prj-ecr-pull');
    const rule = await t.addFault({ match: byProject(tenant), fault: 'docker_hub_rate_limit', forSeconds: 86_400 });
    const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('m-ecr-pull') });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    const done = await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'deploy to settle', 40_000);
    expect(done.body.status, done.body.fail_reason).toBe('ready');
    const faults = (await (await fetch(`${t.cloud.simulator.url}/_sim/faults`)).json()) as { faults: { id: string; used?: number }[] };
    expect(faults.faults.find((f) => f.id === rule.id)?.used ?? 0).toBe(0);
    await t.removeFault(rule.id);
    expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
    await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, `${id} deleted`, 20_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
  }, 60_000);
});
