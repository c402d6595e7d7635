/** Executions in memory: started ones run until a test ends them; a start can be made to fail. */
import type { WorkflowName } from '../../../contract/routes';
import type { ExecutionState } from '../../../functions/domain/reconcile';
import type { WorkflowEngine, WorkflowInput } from '../../../functions/ports';
import type { ManualClock } from './clock';

export interface Execution {
  arn: string;
  workflow: WorkflowName;
  input: WorkflowInput;
  state: ExecutionState;
  stopped?: { cause: string; error: string };
}

export class InMemoryWorkflowEngine implements WorkflowEngine {
  readonly executions = new Map<string, Execution>();
  /** Set to make the next starts fail, as a throttled or unreachable Step Functions would. */
  failStarts: Error | undefined;
  private counter = 0;

  constructor(private readonly clock: ManualClock) {}

  executionName(deploymentId: string, workflow: WorkflowName, now: Date): string {
    this.counter += 1;
    return `${deploymentId}-${workflow}-${now.toISOString().replace(/[-:.]/g, '')}-${this.counter}`;
  }

  plannedExecutionArn(workflow: WorkflowName, name: string): string {
    return `arn:aws:states:us-east-1:000000000000:execution:gpu-${workflow}:${name}`;
  }

  async start(workflow: WorkflowName, name: string, input: WorkflowInput): Promise<string> {
    if (this.failStarts) throw this.failStarts;
    const arn = this.plannedExecutionArn(workflow, name);
    this.executions.set(arn, { arn, workflow, input: structuredClone(input), state: { status: 'RUNNING', startedAt: this.clock.now().toISOString() } });
    return arn;
  }

  /** An execution as a test says it is (one that crashed, ended, or never existed is simply absent). */
  seed(arn: string, workflow: WorkflowName, state: ExecutionState): void {
    this.executions.set(arn, { arn, workflow, input: { deployment: { org_id: '', project_id: '', id: '', gpu_config_id: '' } }, state });
  }

  started(workflow?: WorkflowName): Execution[] {
    return [...this.executions.values()].filter((e) => workflow === undefined || e.workflow === workflow);
  }

  async stop(executionArn: string, cause: string, error = 'Superseded'): Promise<void> {
    const execution = this.executions.get(executionArn);
    if (!execution || execution.state.status !== 'RUNNING') return;
    execution.state = { status: 'ABORTED', startedAt: execution.state.startedAt, stoppedAt: this.clock.now().toISOString() };
    execution.stopped = { cause, error };
  }

  async describe(executionArn: string): Promise<ExecutionState> {
    return structuredClone(this.executions.get(executionArn)?.state ?? { status: 'NOT_FOUND' });
  }
}
