import type { Condition, Node } from './types.js';

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

export const isNodeReady = (node: Node): boolean =>
  node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
