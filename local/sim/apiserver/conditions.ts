import type { Condition, Node, Pod } from './types.js';

/** Upserts a condition, keeping lastTransitionTime when the status did not change. */
export const setCondition = (conditions: Condition[] | undefined, next: Condition): Condition[] => {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : next.lastTransitionTime,
  };
  if (index >= 0) list[index] = merged;
  else list.push(merged);
  return list;
};

/** The condition of that type, if reported (apimachinery's meta.FindStatusCondition); it reads untyped objects too. */
export const findCondition = <C extends { type?: unknown }>(conditions: readonly C[] | undefined, type: string): C | undefined =>
  conditions?.find((c) => c.type === type);

/** Whether the condition is True (controller-runtime's meta.IsStatusConditionTrue). */
export const isConditionTrue = (object: { status?: { conditions?: readonly Condition[] } }, type: string): boolean =>
  findCondition(object.status?.conditions, type)?.status === 'True';

export const isNodeReady = (node: Node): boolean => isConditionTrue(node, 'Ready');

export const isPodReady = (pod: Pod): boolean => isConditionTrue(pod, 'Ready');
