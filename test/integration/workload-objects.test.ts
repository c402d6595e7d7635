/**
 * The objects a model runs as, on the local cloud through the real client: a disruption budget
 * and a network policy next to the Deployment (applied, shown by the dry run, deleted with the
 * model), a pod that Pod Security `restricted` admits, and a delete that finishes in bounded
 * time although a pod never terminates (issue 13: M4, M8, m1).
 */
import { CoreV1Api, KubeConfig, PolicyV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REMOVAL_POLLS } from '../../functions/domain/pod-removal';
import { MODEL_UID } from '../../functions/domain/manifests';
import { BASE, NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { expectNothingLeaked } from '../support/leaks';

let t: TestCloud;
let core: CoreV1Api;
let policy: PolicyV1Api;
let networking: NetworkingV1Api;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  policy = kc.makeApiClient(PolicyV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
});
afterAll(async () => {
  await t?.close();
});

const body = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  ...extra,
});
const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const podsOf = async (id: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items;

describe('the objects of a model', () => {
  it('the dry run shows the disruption budget and the network policy it would apply', async () => {
    const plan = await t.api('POST', `${BASE}?dry_run=true`, { body: body('planned') });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.manifests.podDisruptionBudget).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { maxUnavailable: 1 } });
    expect(plan.body.manifests.networkPolicy).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { policyTypes: ['Ingress'] } });
    expect(plan.body.manifests.networkPolicy.spec.ingress[0].from[0].ipBlock.cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it('are applied with the Deployment, run as the fixed non-root user, and are deleted with it', async () => {
    const created = await t.api('POST', BASE, { body: body('objects') });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => get(id), (r) => r.body.status !== 'initializing', 'ready', 20_000);
    expect((await get(id)).body.status).toBe('ready');
    const name = `model-${id.replace(/^dep-/, '')}`;

    const pdb = await policy.readNamespacedPodDisruptionBudget({ name, namespace: NAMESPACE });
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { 'gpudeploy.io/deployment-id': id } } });
    const netpol = await networking.readNamespacedNetworkPolicy({ name, namespace: NAMESPACE });
    // Through the client's model the rule's peers are `_from`: the wire format had `from`.
    expect(netpol.spec?.ingress?.[0]?._from?.[0]?.ipBlock?.cidr).toMatch(/\/\d+$/);
    expect(netpol.spec?.ingress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 8000 }]);

    const [pod] = await podsOf(id);
    expect(pod?.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: MODEL_UID, fsGroup: MODEL_UID, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    expect(pod?.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 20_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
  });
});

describe('a pod that never terminates (m1)', () => {
  it('the delete stops waiting after its bounded polls, finishes, and writes a bounded history', async () => {
    const created = await t.api('POST', BASE, { body: body('stuck') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => get(id), (r) => r.body.status !== 'initializing', 'ready', 20_000);
    const [pod] = await podsOf(id);
    const podName = pod!.metadata!.name!;
    // A finalizer nobody removes: the pod stays Terminating however it is deleted.
    await core.patchNamespacedPod(
      { name: podName, namespace: NAMESPACE, body: { metadata: { finalizers: ['example.com/never'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    const deleted = await waitFor(() => get(id), (r) => r.status === 404, 'the delete to finish', 60_000);
    expect(deleted.status).toBe(404);
    expect((await podsOf(id)).map((p) => [p.metadata?.name, p.metadata?.deletionTimestamp !== undefined])).toEqual([[podName, true]]);

    const execution = (await t.executions('delete')).find((e) => e.name.startsWith(id));
    expect(execution?.status).toBe('SUCCEEDED');
    const history = await t.history(execution!.executionArn);
    const polls = history.filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'RemoveWorkload').length;
    expect(polls).toBe(MAX_REMOVAL_POLLS);
    expect(history.length).toBeLessThan(400);

    // Once the finalizer goes, so does the pod; then nothing is left.
    await core.patchNamespacedPod({ name: podName, namespace: NAMESPACE, body: { metadata: { finalizers: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(() => podsOf(id), (pods) => pods.length === 0, 'the pod to go', 10_000);
  });
});
