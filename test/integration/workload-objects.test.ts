/**
 * The objects a model runs as, on the local cloud through the real client: a disruption budget
 * and a network policy next to the Deployment (applied, shown by the dry run, deleted with the
 * model), a pod that Pod Security `restricted` admits while a root pod is refused as EKS refuses
 * it, and a delete that finishes in bounded time although a pod never terminates (issue 13: M4,
 * M8, m1).
 */
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REMOVAL_POLLS } from '../../functions/domain/pod-removal';
import { MODEL_UID } from '../../functions/domain/manifests';
import { BASE, deployBody, NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { expectNothingLeaked } from '../support/leaks';

let t: TestCloud;
let core: CoreV1Api;
let policy: PolicyV1Api;
let networking: NetworkingV1Api;
let apps: AppsV1Api;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  policy = kc.makeApiClient(PolicyV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const podsOf = async (id: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items;

describe('the objects of a model', () => {
  it('the dry run shows the disruption budget and the network policy it would apply', async () => {
    const plan = await t.api('POST', `${BASE}?dry_run=true`, { body: deployBody('planned') });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.manifests.podDisruptionBudget).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { maxUnavailable: 1 } });
    expect(plan.body.manifests.networkPolicy).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { policyTypes: ['Ingress'] } });
    expect(plan.body.manifests.networkPolicy.spec.ingress[0].from[0].ipBlock.cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it('are applied with the Deployment, run as the fixed non-root user, and are deleted with it', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('objects') });
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

/** A pod as a tenant would write it by hand: runs as root, nothing hardened. */
const rootPod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'shell', image: 'busybox:1.36', command: ['sleep', '3600'], securityContext: { runAsUser: 0 } }] } });
const RESTRICTED_REFUSAL =
  'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "shell" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "shell" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "shell" must set securityContext.runAsNonRoot=true), ' +
  'runAsUser=0 (container "shell" must not set runAsUser=0), ' +
  'seccompProfile (pod or container "shell" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('Pod Security restricted on the model namespace (M8)', () => {
  it('refuses a root pod with kube-apiserver\'s 403, while model pods run there', async () => {
    const error = await core.createNamespacedPod({ namespace: NAMESPACE, body: rootPod('intruder') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiException);
    const status = JSON.parse((error as ApiException<string>).body);
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, details: { name: 'intruder', kind: 'pods' } });
    expect(status.message).toBe(`pods "intruder" is forbidden: ${RESTRICTED_REFUSAL}`);
    expect((await core.listNamespacedPod({ namespace: NAMESPACE, fieldSelector: 'metadata.name=intruder' })).items).toEqual([]);
    // kube-system is not labelled: the same pod is admitted there (the EKS DaemonSets run privileged).
    await core.createNamespacedPod({ namespace: 'kube-system', body: rootPod('admin-shell') });
    await core.deleteNamespacedPod({ name: 'admin-shell', namespace: 'kube-system', gracePeriodSeconds: 0 });
  });

  it('a Deployment of such pods is admitted with a warning; its ReplicaSet fails to create them (FailedCreate, ReplicaFailure)', async () => {
    const labels = { app: 'hand-made' };
    const body = { metadata: { name: 'hand-made', labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: rootPod('x').spec } } };
    const url = `${t.cloud.simulator.url}/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;
    const created = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBe(`299 - ${JSON.stringify(`would violate PodSecurity "restricted:latest": ${RESTRICTED_REFUSAL.replace(/^violates PodSecurity "restricted:latest": /, '')}`)}`);

    const failed = await waitFor(
      () => core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: 'reason=FailedCreate,involvedObject.kind=ReplicaSet' }),
      (events) => events.items.some((e) => e.involvedObject.name?.startsWith('hand-made-')),
      'FailedCreate',
      10_000,
    );
    const event = failed.items.find((e) => e.involvedObject.name?.startsWith('hand-made-'))!;
    expect(event).toMatchObject({ type: 'Warning', source: { component: 'replicaset-controller' } });
    expect(event.message).toMatch(new RegExp(`^Error creating: pods "hand-made-[a-z0-9]+-[a-z0-9]{5}" is forbidden: ${RESTRICTED_REFUSAL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const deployment = await waitFor(
      () => apps.readNamespacedDeployment({ name: 'hand-made', namespace: NAMESPACE }),
      (d) => d.status?.conditions?.some((c) => c.type === 'ReplicaFailure') ?? false,
      'the ReplicaFailure condition',
      10_000,
    );
    expect(deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: expect.stringContaining(RESTRICTED_REFUSAL) });
    expect(deployment.status?.replicas ?? 0).toBe(0);
    expect((await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=hand-made' })).items).toEqual([]);
    await apps.deleteNamespacedDeployment({ name: 'hand-made', namespace: NAMESPACE });
  });
});

describe('a pod that never terminates (m1)', () => {
  it('the delete stops waiting after its bounded polls, finishes, and writes a bounded history', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('stuck') });
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
