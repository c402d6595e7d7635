/**
 * Records what the state machine says happened (an ASL event, `provisioning_started`): the
 * lifecycle decides which phase that is. Nothing is written when the record is already there.
 */
import { now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-records';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { ASL_EVENT_PHASES, enterPhase, type AslEvent } from '../domain/lifecycle';

export interface RecordPhaseInput extends TaskInput {
  event: AslEvent;
}

export const recordPhase = async (input: RecordPhaseInput): Promise<{ phase: string }> => {
  const phase = ASL_EVENT_PHASES[input.event];
  // A state machine out of step with the lifecycle: fail loudly rather than record nothing.
  if (phase === undefined) throw new Error(`record-phase got an event the lifecycle does not know: ${String(input.event)}`);
  const record = await ownedDeployment(input);
  const entered = enterPhase(record, phase);
  if (entered.event) {
    await updateDeployment(record, record.id, entered.changes, { executionArn: input.execution }, {
      now: now(),
      event: entered.event,
      milestones: entered.milestones,
    }).catch(asSuperseded);
  }
  return { phase: entered.changes.phase ?? record.phase };
};

export const handler = workflowTask('record-phase', recordPhase);
