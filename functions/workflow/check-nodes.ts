/**
 * Polls the node group until enough Ready, schedulable GPU nodes have joined, judging launch
 * failures of this grow and growing again a desired size that fell short
 * (use-cases/workflow/node-capacity.ts).
 */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { checkNodes as check } from '../use-cases/workflow/node-capacity';
import type { NodeWait } from '../../contract/execution-state';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';
import { deploymentStore } from '../wiring/deployment-store';
import { nodeGroups } from '../wiring/node-groups';
import { transientErrors } from '../wiring/transient-errors';

const ports = { deployments: deploymentStore, nodeGroups, cluster, clock, transientErrors };

export const checkNodes = (input: TaskInput & { capacity: NodeWait }) => check(ports, input);

export const handler = workflowTask('check-nodes', checkNodes);
