/**
 * Figure 4: GPU efficiency of a mixed workload. 40 deploy requests of 1, 2, 4 and 8 GPUs
 * across two GPU types (both with 8-GPU nodes), in a fixed shuffled order, through the API;
 * the capacity ledger turns away what the node groups' max sizes cannot hold. Once the
 * accepted ones are ready, half of them are deleted. GPU nodes provisioned are compared with
 * the bin-packing lower bound (per group: ceil(GPUs of live deployments / GPUs per node)), at
 * the peak and after the deletes, and the idle GPU node-minutes after the deletes (nodes
 * without a GPU pod that nobody has asked to terminate yet) are integrated from the
 * simulator's state.
 */
import inventory from '../../contract/data/inventory.json';
import type { NodeView, SimStateView } from '../../local/sim/index';
import { DEFAULT_DELAYS } from '../../local/sim/index';
import { deploymentsPath, startBenchCloud, type BenchCloud } from './harness';
import { fmt, median, metWhen, pollUntil, ratioOf, sleep, sum, table, type FigureResult, type Row } from './results';

const TIME_SCALE = 0.05;
const PROJECT = 'prj-mixed';
const MODEL = 'meta-llama-Llama-3.1-8B-Instruct';
const CONFIGS = ['a100-80gb', 'h100-80gb'] as const;
const SIZES = [1, 2, 4, 8] as const;
const PER_SIZE = 10;
const SAMPLE_MS = 20;
/** No release delay is configured: the delete workflow releases a node as soon as it is empty. Allowance per emptied node: */
const RELEASE_BUDGET_SECONDS = 30;

interface GroupInfo {
  config: string;
  nodeGroup: string;
  gpusPerNode: number;
  maxNodes: number;
}

const GROUPS: GroupInfo[] = CONFIGS.map((config) => {
  const entry = inventory.gpu_configs.find((g) => g.config_id === config);
  if (!entry) throw new Error(`${config} is not in the inventory`);
  return { config, nodeGroup: entry.node_group.name, gpusPerNode: entry.gpus_per_node, maxNodes: entry.node_group.max_size };
});

interface Request {
  index: number;
  config: string;
  gpus: number;
  status?: number;
  code?: string;
  id?: string;
  outcome?: 'ready' | 'failed';
  failReason?: string;
  deleted?: boolean;
}

/** 40 requests, sizes 1/2/4/8 ten times each, shuffled with a fixed seed; GPU types alternate. */
const workload = (): Request[] => {
  const sizes = SIZES.flatMap((gpus) => Array.from({ length: PER_SIZE }, () => gpus));
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
  }
  return sizes.map((gpus, index) => ({ index, gpus, config: CONFIGS[index % CONFIGS.length]! }));
};

const groupNodes = (state: SimStateView, group: GroupInfo): { node: NodeView; terminating: boolean }[] => {
  const lifecycle = new Map(state.instances.map((i) => [i.instanceId, i.lifecycle]));
  return state.nodes.filter((n) => n.group === group.nodeGroup).map((node) => ({ node, terminating: lifecycle.get(node.instanceId ?? '') === 'Terminating' }));
};

/** Instances of the group that are launching or serving (not terminating): what is billed from now on. */
const provisioned = (state: SimStateView, group: GroupInfo): number =>
  state.instances.filter((i) => i.group === group.nodeGroup && i.lifecycle !== 'Terminating').length;

const lowerBound = (requests: readonly Request[], group: GroupInfo): number =>
  Math.ceil(sum(requests.filter((r) => r.config === group.config).map((r) => r.gpus)) / group.gpusPerNode);

const waitForOutcomes = async (cloud: BenchCloud, requests: Request[], timeoutMs: number): Promise<void> => {
  await pollUntil(
    async () => {
      for (const r of requests.filter((q) => q.outcome === undefined)) {
        const { body } = await cloud.api('GET', `${deploymentsPath(PROJECT)}/${r.id}`);
        if (body?.status === 'ready') r.outcome = 'ready';
        if (body?.status === 'failed') {
          r.outcome = 'failed';
          r.failReason = String(body.fail_reason);
        }
      }
      return requests.every((r) => r.outcome !== undefined) ? true : undefined;
    },
    'every accepted deployment to be ready or failed',
    timeoutMs,
    250,
  );
};

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const cloud = await startBenchCloud({ timeScale: TIME_SCALE, cron: true });
  const seconds = (ms: number) => ms / 1000 / TIME_SCALE;
  try {
    const requests = workload();
    for (const r of requests) {
      const { status, body } = await cloud.api('POST', deploymentsPath(PROJECT), {
        name: `mixed-${String(r.index).padStart(2, '0')}-${r.gpus}gpu`,
        catalog_id: MODEL,
        region: 'us-east-1',
        gpu_config_id: r.config,
        gpu_count: r.gpus,
        plan_id: `plan-${r.config}-ondemand`,
        // A gated model: admission refuses it without a token (the local Secrets Manager keeps it).
        hf_token: 'hf_benchToken0123456789abcdef',
      });
      r.status = status;
      if (status === 201) r.id = String(body.id);
      else r.code = String(body?.code ?? status);
    }
    const accepted = requests.filter((r) => r.status === 201);
    // Nothing accepted means nothing to measure (every deploy answered an error): fail rather than report zeros as a met goal.
    if (accepted.length === 0) throw new Error(`no deploy request was accepted: ${[...new Set(requests.map((r) => `${r.status} ${r.code}`))].join(', ')}`);
    await waitForOutcomes(cloud, accepted, 2000 * 1000 * TIME_SCALE);
    await sleep(1000 * 10 * TIME_SCALE);
    const ready = accepted.filter((r) => r.outcome === 'ready');
    const peakState = cloud.simulator.state();
    const peak = GROUPS.map((g) => ({ group: g, provisioned: provisioned(peakState, g), bound: lowerBound(ready, g) }));

    // Delete every other ready deployment, watching idle nodes from the first delete on.
    const toDelete = ready.filter((_, i) => i % 2 === 0);
    const emptySince = new Map<string, number>();
    const releaseDelays: number[] = [];
    const releasedNodes = new Set<string>();
    let idleNodeMs = 0;
    let last = Date.now();
    const sampler = setInterval(() => {
      const now = Date.now();
      const state = cloud.simulator.state();
      let idle = 0;
      for (const group of GROUPS) {
        for (const { node, terminating } of groupNodes(state, group)) {
          const empty = node.gpuRequested === 0;
          if (empty && !terminating) {
            idle += 1;
            if (!emptySince.has(node.name)) emptySince.set(node.name, now);
          }
          if (terminating && !releasedNodes.has(node.name)) {
            releasedNodes.add(node.name);
            releaseDelays.push(now - (emptySince.get(node.name) ?? now));
          }
        }
      }
      idleNodeMs += idle * (now - last);
      last = now;
    }, SAMPLE_MS);
    const deleteStarted = Date.now();
    try {
      for (const r of toDelete) {
        const { status } = await cloud.api('DELETE', `${deploymentsPath(PROJECT)}/${r.id}`);
        if (status !== 204) throw new Error(`DELETE ${r.id} answered ${status}`);
        r.deleted = true;
      }
      await pollUntil(
        async () => {
          for (const r of toDelete) if ((await cloud.api('GET', `${deploymentsPath(PROJECT)}/${r.id}`)).status !== 404) return undefined;
          return true;
        },
        'the deletes to finish',
        600 * 1000 * TIME_SCALE,
        100,
      );
      // Give stragglers the whole release allowance before the books close.
      await sleep(RELEASE_BUDGET_SECONDS * 1000 * TIME_SCALE);
    } finally {
      clearInterval(sampler);
    }
    const windowSeconds = seconds(Date.now() - deleteStarted);
    const after = cloud.simulator.state();
    const live = ready.filter((r) => !r.deleted);
    const settled = GROUPS.map((g) => ({
      group: g,
      provisioned: provisioned(after, g),
      bound: lowerBound(live, g),
      stillEmpty: groupNodes(after, g).filter(({ node, terminating }) => node.gpuRequested === 0 && !terminating).length,
      gpusInUse: sum(groupNodes(after, g).map(({ node }) => node.gpuRequested)),
    }));

    const peakProvisioned = sum(peak.map((p) => p.provisioned));
    const peakBound = sum(peak.map((p) => p.bound));
    const afterProvisioned = sum(settled.map((p) => p.provisioned));
    const afterBound = sum(settled.map((p) => p.bound));
    const idleMinutes = seconds(idleNodeMs) / 60;
    const emptied = releasedNodes.size + sum(settled.map((s) => s.stillEmpty));
    const budgetMinutes = (Math.max(1, emptied) * RELEASE_BUDGET_SECONDS) / 60;
    const rejected409 = requests.filter((r) => r.status === 409).length;
    const rejectedOther = requests.filter((r) => r.status !== 201 && r.status !== 409).length;
    const failed = accepted.filter((r) => r.outcome === 'failed');

    const rows: Row[] = [
      {
        measure: `Requests accepted of ${requests.length} (rejected: capacity 409 / other)`,
        value: `${accepted.length} (${rejected409} / ${rejectedOther}); ${failed.length} failed, ${ready.length} ready`,
        baseline: `${GROUPS.map((g) => `${g.maxNodes} x ${g.gpusPerNode}`).join(' + ')} GPUs of capacity`,
        ratio: '–',
        goal: 'report',
        met: 'n/a',
      },
      {
        measure: 'GPU nodes provisioned vs bin-packing lower bound, at the peak',
        value: String(peakProvisioned),
        baseline: String(peakBound),
        ratio: fmt(ratioOf(peakProvisioned, peakBound), 2),
        goal: '<= 1.1',
        met: metWhen(ratioOf(peakProvisioned, peakBound) <= 1.1),
      },
      {
        measure: 'GPU nodes provisioned vs bin-packing lower bound, after half were deleted',
        value: String(afterProvisioned),
        baseline: String(afterBound),
        ratio: fmt(ratioOf(afterProvisioned, afterBound), 2),
        goal: '<= 1.1',
        met: metWhen(ratioOf(afterProvisioned, afterBound) <= 1.1),
      },
      {
        measure: `Idle GPU node-minutes after the deletes (${emptied} node(s) emptied; bound: ${RELEASE_BUDGET_SECONDS} s each)`,
        value: fmt(idleMinutes, 2),
        baseline: fmt(budgetMinutes, 2),
        ratio: fmt(ratioOf(idleMinutes, budgetMinutes), 2),
        goal: '<= bound',
        met: metWhen(idleMinutes <= budgetMinutes),
      },
    ];

    const findings: string[] = [];
    const fragmented = settled.filter((s) => s.provisioned > s.bound);
    if (fragmented.length > 0) {
      findings.push(
        `After the deletes, ${fragmented.map((s) => `${s.group.nodeGroup} keeps ${s.provisioned} node(s) for ${s.gpusInUse} GPUs in use (lower bound ${s.bound})`).join('; ')}: ` +
          'the surviving replicas are spread over partly used nodes and nothing moves them, because scale-in only ever removes empty nodes (never evicts a serving pod) and there is no consolidation (repacking) step.',
      );
    }
    if (failed.length > 0) findings.push(`Failed deployments: ${failed.map((r) => `${r.gpus} GPU(s) on ${r.config}: ${r.failReason}`).join('; ')}.`);
    if (failed.some((r) => r.failReason?.startsWith('Unschedulable'))) {
      findings.push(
        'Why a deployment the ledger accepted found no node: admission and node-group sizing assume the replicas are packed first-fit-decreasing onto whole nodes (functions/domain/capacity.ts), ' +
          'but the scheduler places each pod as it comes, scoring LeastAllocated like the default kube-scheduler, so the small replicas that arrived first were spread over both nodes and no node kept 8 free GPUs. ' +
          'Meanwhile those nodes stay up for a fraction of their GPUs, which is what lifts provisioned above the lower bound. Closing the gap needs placement that follows the plan (MostAllocated scoring for nvidia.com/gpu, or pinning replicas to planned nodes) or a repacking step.',
      );
    }
    findings.push(
      `Release delay (node empty -> terminate requested), median ${fmt(seconds(median(releaseDelays)), 1)} s over ${releaseDelays.length} node(s); the simulator's pod termination grace is ${DEFAULT_DELAYS.podTermination} s and instance termination ${DEFAULT_DELAYS.instanceTermination} s (not counted as idle).`,
    );

    const detail = table(
      ['node group', 'GPUs / node', 'max nodes', 'peak: provisioned / bound', 'after deletes: provisioned / bound', 'GPUs in use after', 'empty nodes left'],
      GROUPS.map((g, i) => [
        g.nodeGroup,
        String(g.gpusPerNode),
        String(g.maxNodes),
        `${peak[i]!.provisioned} / ${peak[i]!.bound}`,
        `${settled[i]!.provisioned} / ${settled[i]!.bound}`,
        String(settled[i]!.gpusInUse),
        String(settled[i]!.stillEmpty),
      ]),
    );
    const requestTable = table(
      ['#', 'GPU config', 'GPUs', 'answer', 'outcome', 'deleted'],
      requests.map((r) => [String(r.index), r.config, String(r.gpus), r.status === 201 ? '201' : `${r.status} ${r.code}`, r.outcome ?? '–', r.deleted ? 'yes' : '']),
    );

    return {
      id: 'gpu',
      title: 'GPU efficiency of a mixed workload',
      method: [
        `Local cloud at time scale ${TIME_SCALE}; ${requests.length} deploy requests of ${MODEL} (${PER_SIZE} each of ${SIZES.join(', ')} GPUs, order shuffled with a fixed seed), alternating between ${GROUPS.map((g) => `${g.config} (${g.nodeGroup}: ${g.gpusPerNode} GPUs per node, max ${g.maxNodes} nodes)`).join(' and ')}.`,
        'Lower bound per node group: ceil(GPUs of its ready deployments / GPUs per node); provisioned: its instances not terminating, from the simulator.',
        `Then every other ready deployment is deleted through the API; every ${SAMPLE_MS} ms the simulator's state is read and each node of the two groups with no GPU requested and no termination requested counts as idle, for ${fmt(windowSeconds, 0)} cluster s (until the deletes finished plus the ${RELEASE_BUDGET_SECONDS} s allowance).`,
      ],
      rows,
      details: `${detail}\n\n<details><summary>Requests</summary>\n\n${requestTable}\n\n</details>`,
      findings,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await sleep(500);
    await cloud.close();
  }
};
