/**
 * The node lifecycle controller: a node whose instance is terminating stops posting status and
 * goes NotReady (unreachable taints), and TaintNodesByCondition keeps the unschedulable taint in
 * step with a cordon. Deleting the Node of a gone instance is the cloud node controller's (aws/nodegroups.ts).
 */
import { findCondition } from '../apiserver/conditions.js';
import { NODE } from '../apiserver/resources.js';
import type { Node } from '../apiserver/types.js';
import type { SimContext } from '../context.js';
import { nowIso } from '../ids.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

/** What the node lifecycle controller does once a terminating instance's kubelet goes silent. */
export const markUnreachable = (node: Node, at: number): void => {
  const time = nowIso(at);
  node.status.conditions = node.status.conditions.map((c) =>
    c.status === 'Unknown'
      ? c
      : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: time },
  );
  const taints = (node.spec.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT);
  taints.push({ key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: time }, { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: time });
  node.spec.taints = taints;
};

/** TaintNodesByCondition: a cordoned node carries node.kubernetes.io/unschedulable:NoSchedule. */
export const syncUnschedulableTaint = (node: Node, at: number): void => {
  const taints = node.spec.taints ?? [];
  const has = taints.some((t) => t.key === UNSCHEDULABLE_TAINT);
  if (node.spec.unschedulable && !has) node.spec.taints = [...taints, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule', timeAdded: nowIso(at) }];
  if (!node.spec.unschedulable && has) {
    const rest = taints.filter((t) => t.key !== UNSCHEDULABLE_TAINT);
    if (rest.length > 0) node.spec.taints = rest;
    else delete node.spec.taints;
  }
};

const isUnreachable = (node: Node): boolean => findCondition(node.status.conditions, 'Ready')?.status === 'Unknown';

export const reconcileNodeLifecycle = (world: SimContext, now: number): void => {
  for (const node of world.store.list<Node>(NODE.plural)) {
    const name = node.metadata.name;
    const instance = world.instanceByNodeName(name);
    if (instance?.lifecycle === 'Terminating' && !isUnreachable(node)) {
      world.store.mutate<Node>(NODE, undefined, name, (draft) => markUnreachable(draft, now));
      world.events.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'node-controller');
    } else if (instance?.lifecycle === 'InService') {
      world.store.mutate<Node>(NODE, undefined, name, (draft) => syncUnschedulableTaint(draft, now));
    }
  }
};
