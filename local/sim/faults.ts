/** Fault injection: which failure a pod or node group should suffer. */
import * as z from 'zod';
import { labelsMatch, parseLabelSelector } from './apiserver/selectors.js';
import type { Pod } from './apiserver/types.js';
import { LAUNCH_FAULTS, PULL_LIMIT_FAULTS, faultLimitsSchema, isSpent, type FaultLimits } from './launch-faults.js';

export const POD_FAULTS = ['image_pull_backoff', 'crash_loop', 'oom_killed', 'hf_unauthorized', 'never_ready', 'unschedulable', ...PULL_LIMIT_FAULTS] as const;
/** A config update of the group stays InProgress while the rule is in force (a slow EKS update). */
export const UPDATE_FAULTS = ['slow_update'] as const;
export const NODE_GROUP_FAULTS = ['asg_launch_failure', 'insufficient_free_addresses', ...LAUNCH_FAULTS, ...UPDATE_FAULTS] as const;

export type PodFault = (typeof POD_FAULTS)[number];
export type NodeGroupFault = (typeof NODE_GROUP_FAULTS)[number];
export type FaultKind = PodFault | NodeGroupFault;

/** Pod template annotation that injects a pod fault without a control call. */
export const FAULT_ANNOTATION = 'gpudeploy.io/sim-fault';

export const faultRequestSchema = z
  .object({
    match: z.union([z.object({ label: z.string().min(1) }).strict(), z.object({ nodeGroup: z.string().min(1) }).strict()]),
    fault: z.enum([...POD_FAULTS, ...NODE_GROUP_FAULTS]),
    /**
     * `insufficient_capacity` in this AZ only (e.g. `us-east-1a`): Auto Scaling launches in the
     * group's other AZs instead, as it does when one AZ is short of an instance type.
     */
    zone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an Availability Zone such as us-east-1a').optional(),
    ...faultLimitsSchema,
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((NODE_GROUP_FAULTS as readonly string[]).includes(value.fault) && !('nodeGroup' in value.match)) {
      ctx.addIssue({ code: 'custom', path: ['match'], message: `fault ${value.fault} needs {"nodeGroup": "<name>"}` });
    }
    if (value.zone !== undefined && value.fault !== 'insufficient_capacity') {
      ctx.addIssue({ code: 'custom', path: ['zone'], message: 'only insufficient_capacity takes a zone' });
    }
    if ('label' in value.match) {
      try {
        parseLabelSelector(value.match.label);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['match', 'label'], message: (error as Error).message });
      }
    }
  });

export type FaultRequest = z.infer<typeof faultRequestSchema>;

export interface FaultRule extends FaultRequest, FaultLimits {
  id: string;
  createdAt: string;
}

export const isPodFault = (value: unknown): value is PodFault => (POD_FAULTS as readonly unknown[]).includes(value);
export const isUpdateFault = (value: unknown): boolean => (UPDATE_FAULTS as readonly unknown[]).includes(value);

/**
 * The pod fault in force for a pod: its own annotation first, then the first matching rule.
 * `nodeGroupOf` resolves the node group of the node the pod is bound to.
 */
export const podFaultFor = (pod: Pod, rules: readonly FaultRule[], nodeGroupOf: (nodeName: string) => string | undefined): PodFault | undefined => {
  const annotated = pod.metadata.annotations?.[FAULT_ANNOTATION];
  if (isPodFault(annotated)) return annotated;
  for (const rule of rules) {
    if (!isPodFault(rule.fault) || isSpent(rule)) continue;
    if ('label' in rule.match && labelsMatch(parseLabelSelector(rule.match.label), pod.metadata.labels)) return rule.fault;
    if ('nodeGroup' in rule.match && pod.spec.nodeName && nodeGroupOf(pod.spec.nodeName) === rule.match.nodeGroup) return rule.fault;
  }
  return undefined;
};

/**
 * Whether the scheduler must refuse `pod` on `node` (the `unschedulable` fault): the pod's
 * annotation, a label rule, or a node-group rule naming the candidate node's group.
 */
export const unschedulableOn = (
  pod: Pod,
  nodeName: string,
  rules: readonly FaultRule[],
  nodeGroupOf: (nodeName: string) => string | undefined,
): boolean => podFaultFor({ ...pod, spec: { ...pod.spec, nodeName } }, rules, nodeGroupOf) === 'unschedulable';

export const nodeGroupFaultFor = (group: string, rules: readonly FaultRule[]): NodeGroupFault | undefined => {
  for (const rule of rules) {
    if ('nodeGroup' in rule.match && rule.match.nodeGroup === group && !isPodFault(rule.fault) && !isSpent(rule)) return rule.fault;
  }
  return undefined;
};
