/** The workflow engine: Step Functions (adapters/workflow-starter.ts). */
import { describeWorkflow, executionName, plannedExecutionArn, startWorkflow, stopWorkflow } from '../adapters/workflow-starter';
import type { WorkflowEngine } from '../ports';

export const workflowEngine: WorkflowEngine = {
  executionName,
  plannedExecutionArn,
  start: startWorkflow,
  stop: stopWorkflow,
  describe: describeWorkflow,
};
