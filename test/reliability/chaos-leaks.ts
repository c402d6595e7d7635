/**
 * "Nothing leaked" for the chaos scenario, measured against what the cloud held before it: the
 * scenario's deployment records, every GPU ledger, every node group's desired size and live
 * instances, the managed Kubernetes objects of the model namespace (Deployments, Pods, Services,
 * Secrets, PVCs, NetworkPolicies, PodDisruptionBudgets) and the hf-token secrets in Secrets
 * Manager. Read from outside, as an operator would (SDK, Kubernetes API, the secrets store file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { INVENTORY } from '../../contract/catalog';
import { liveInstances } from '../support/leaks';
import { NAMESPACE, type TestCloud, type Tenant } from '../support/local-cloud';

const HF_SECRET_PREFIX = 'gpu-control-plane/hf-token/';

export interface Baseline {
  ledger: Record<string, number>;
  desired: Record<string, number>;
  instances: Record<string, number>;
  objects: Set<string>;
  secrets: Set<string>;
}

export interface LeakReport {
  /** deployment records of the scenario's project still in the table */
  records: string[];
  /** config -> reserved GPUs above the baseline */
  ledger: Record<string, number>;
  /** group -> desired size / live instances other than at the start */
  nodeGroups: Record<string, { desired: number; instances: number; desiredAtStart: number; instancesAtStart: number }>;
  /** kind/name of Kubernetes objects that were not there at the start */
  objects: string[];
  /** hf-token secrets that were not there at the start */
  secrets: string[];
  /** object kinds the simulated API server does not serve (so there can be none) */
  kindsNotServed: string[];
}

export const expectedLeaks = (l: LeakReport): number =>
  l.records.length + Object.keys(l.ledger).length + Object.keys(l.nodeGroups).length + l.objects.length + l.secrets.length;

const kube = (t: TestCloud) => {
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), net: kc.makeApiClient(NetworkingV1Api), policy: kc.makeApiClient(PolicyV1Api) };
};

type Named = { metadata?: { name?: string } };

/** Every object of the model namespace, as `Kind/name`, and the kinds the API server answered 404 for. */
const namespaceObjects = async (t: TestCloud): Promise<{ names: string[]; notServed: string[] }> => {
  const k = kube(t);
  const lists: [string, () => Promise<{ items: Named[] }>][] = [
    ['Deployment', () => k.apps.listNamespacedDeployment({ namespace: NAMESPACE })],
    ['Pod', () => k.core.listNamespacedPod({ namespace: NAMESPACE })],
    ['Service', () => k.core.listNamespacedService({ namespace: NAMESPACE })],
    ['Secret', () => k.core.listNamespacedSecret({ namespace: NAMESPACE })],
    ['PersistentVolumeClaim', () => k.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE })],
    ['NetworkPolicy', () => k.net.listNamespacedNetworkPolicy({ namespace: NAMESPACE })],
    ['PodDisruptionBudget', () => k.policy.listNamespacedPodDisruptionBudget({ namespace: NAMESPACE })],
  ];
  const names: string[] = [];
  const notServed: string[] = [];
  for (const [kind, list] of lists) {
    try {
      for (const item of (await list()).items) names.push(`${kind}/${item.metadata?.name ?? '?'}`);
    } catch (error) {
      if ((error as { code?: number }).code === 404) notServed.push(kind);
      else throw error;
    }
  }
  return { names, notServed };
};

const hfSecrets = (t: TestCloud): string[] => {
  // the store writes its file with the first secret
  if (!existsSync(t.cloud.secretsManager.stateFile)) return [];
  const state = JSON.parse(readFileSync(t.cloud.secretsManager.stateFile, 'utf8')) as { secrets: { name: string }[] };
  return state.secrets.map((s) => s.name).filter((n) => n.startsWith(HF_SECRET_PREFIX));
};

const groups = () => INVENTORY.gpu_configs.map((c) => ({ config: c.config_id, group: c.node_group.name }));

export const snapshotBaseline = async (t: TestCloud): Promise<Baseline> => {
  const baseline: Baseline = { ledger: {}, desired: {}, instances: {}, objects: new Set((await namespaceObjects(t)).names), secrets: new Set(hfSecrets(t)) };
  for (const { config, group } of groups()) {
    baseline.ledger[config] = await t.ledger(config);
    baseline.desired[group] = await t.nodeGroupDesiredSize(group);
    baseline.instances[group] = liveInstances(t, group).length;
  }
  return baseline;
};

export const measureLeaks = async (t: TestCloud, baseline: Baseline, tenant: Tenant): Promise<LeakReport> => {
  const records = (await t.records()).filter((r) => r.project_id === tenant.project).map((r) => `${r.id} (${r.status}/${r.phase})`);
  const ledger: LeakReport['ledger'] = {};
  const nodeGroups: LeakReport['nodeGroups'] = {};
  for (const { config, group } of groups()) {
    const held = (await t.ledger(config)) - (baseline.ledger[config] ?? 0);
    if (held !== 0) ledger[config] = held;
    const desired = await t.nodeGroupDesiredSize(group);
    const instances = liveInstances(t, group).length;
    const desiredAtStart = baseline.desired[group] ?? 0;
    const instancesAtStart = baseline.instances[group] ?? 0;
    if (desired !== desiredAtStart || instances !== instancesAtStart) nodeGroups[group] = { desired, instances, desiredAtStart, instancesAtStart };
  }
  const { names, notServed } = await namespaceObjects(t);
  return {
    records,
    ledger,
    nodeGroups,
    objects: names.filter((n) => !baseline.objects.has(n)),
    secrets: hfSecrets(t).filter((n) => !baseline.secrets.has(n)),
    kindsNotServed: notServed,
  };
};
