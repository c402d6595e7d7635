/**
 * Gives back the GPU nodes of the deployment's node group that no live deployment needs
 * (use-cases/release-nodes.ts: booting instances first, then empty nodes, one by one; never
 * a node with pods), and lowers a desired size no instance backs (failed launches).
 */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { releaseIdleNodesOf } from '../use-cases/release-nodes';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';
import { deploymentStore } from '../wiring/deployment-store';
import { nodeGroups } from '../wiring/node-groups';

const ports = { nodeGroups, cluster, deployments: deploymentStore, clock };

export const releaseIdleNodes = (input: TaskInput) => releaseIdleNodesOf(ports, input.deployment.gpu_config_id, { lowerUnlaunchedDesired: true });

export const handler = workflowTask('release-idle-nodes', releaseIdleNodes);
