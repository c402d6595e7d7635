/**
 * Records what the state machine says happened (an ASL event, `provisioning_started`): the
 * lifecycle decides which phase that is. Nothing is written when the record is already there.
 */
import { ASL_EVENT_PHASES, enterPhase, type AslEvent } from '../../domain/lifecycle';
import type { Ports } from '../../ports';
import { asSuperseded, ownedDeployment } from '../ownership';
import type { TaskInput } from '../../../contract/execution-state';

export interface RecordPhaseInput extends TaskInput {
  event: AslEvent;
}

export const recordPhase = async (ports: Pick<Ports, 'deployments' | 'clock'>, input: RecordPhaseInput): Promise<{ phase: string }> => {
  const phase = ASL_EVENT_PHASES[input.event];
  // A state machine out of step with the lifecycle: fail loudly rather than record nothing.
  if (phase === undefined) throw new Error(`record-phase got an event the lifecycle does not know: ${String(input.event)}`);
  const record = await ownedDeployment(ports, input);
  const entered = enterPhase(record, phase);
  if (entered.event) {
    await ports.deployments
      .update(record, record.id, entered.changes, { executionArn: input.execution }, { now: ports.clock.now(), event: entered.event, milestones: entered.milestones })
      .catch(asSuperseded);
  }
  return { phase: entered.changes.phase ?? record.phase };
};
