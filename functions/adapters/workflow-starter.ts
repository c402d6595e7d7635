/**
 * Starts Step Functions executions. The execution ARN is derived before the start, so the
 * deployment record can name its owning execution in the same write that changes it.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { WorkflowName } from '../../contract/routes';
import { optionalUrl, readEnv } from '../commons/env';
import type { ExecutionState } from '../domain/reconcile';
import type { WorkflowInput } from '../ports';
import { awsRetry } from '../commons/aws-retry';

export type { WorkflowInput };

const env = readEnv({
  SFN_ENDPOINT: optionalUrl,
  DEPLOY_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  SCALE_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  DELETE_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
});

const client = new SFNClient({ endpoint: env.SFN_ENDPOINT, ...awsRetry(4) });

const machineArn = (workflow: WorkflowName): string => {
  const arn = { deploy: env.DEPLOY_STATE_MACHINE_ARN, scale: env.SCALE_STATE_MACHINE_ARN, delete: env.DELETE_STATE_MACHINE_ARN }[workflow];
  if (!arn) throw new Error(`invalid configuration: ${workflow.toUpperCase()}_STATE_MACHINE_ARN is not set for this function`);
  return arn;
};

/** Console-readable name: `<deployment id>-<operation>-<yyyymmddThhmmss>-<4 random>` (max 80 chars). */
export const executionName = (deploymentId: string, workflow: WorkflowName, now: Date): string => {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `${deploymentId}-${workflow}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
};

export const plannedExecutionArn = (workflow: WorkflowName, name: string): string =>
  `${machineArn(workflow).replace(':stateMachine:', ':execution:')}:${name}`;

export const startWorkflow = async (workflow: WorkflowName, name: string, input: WorkflowInput): Promise<string> => {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: machineArn(workflow), name, input: JSON.stringify(input) }),
  );
  return executionArn ?? plannedExecutionArn(workflow, name);
};

/** Stops a running execution (an already finished one is not an error). */
export const stopWorkflow = async (executionArn: string, cause: string, error = 'Superseded'): Promise<void> => {
  await client.send(new StopExecutionCommand({ executionArn, error, cause }));
};

/** Whether an execution runs, how it ended, or that it does not exist. */
export const describeWorkflow = async (executionArn: string): Promise<ExecutionState> => {
  try {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }));
    const startedAt = (execution.startDate ?? new Date(0)).toISOString();
    const status = execution.status ?? 'RUNNING';
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return { status, startedAt };
    return { status, startedAt, stoppedAt: (execution.stopDate ?? new Date()).toISOString() };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return { status: 'NOT_FOUND' };
    throw error;
  }
};
