/** The GPU ledger in memory: reservations that never pass the limit (409 otherwise), releases floored at zero, conditional repair. */
import { ConflictError } from '../../../functions/domain/errors';
import type { LedgerObservation } from '../../../functions/domain/reconcile';
import type { CapacityLedger, LedgerState } from '../../../functions/ports';
import type { ManualClock } from './clock';

export class InMemoryCapacityLedger implements CapacityLedger {
  private readonly ledgers = new Map<string, LedgerState>();

  constructor(private readonly clock: ManualClock) {}

  /** Sets a ledger as some history left it (test setup). */
  seed(gpuConfigId: string, state: LedgerState): void {
    this.ledgers.set(gpuConfigId, structuredClone(state));
  }

  private state(gpuConfigId: string): LedgerState {
    return this.ledgers.get(gpuConfigId) ?? { reservedGpus: 0, updatedAt: null };
  }

  async reserved(gpuConfigId: string): Promise<number> {
    return this.state(gpuConfigId).reservedGpus;
  }

  async reserve(gpuConfigId: string, gpus: number, limit: number, nodeGroup: string): Promise<void> {
    if (gpus <= 0) return;
    const state = this.state(gpuConfigId);
    if (state.reservedGpus > limit - gpus) {
      throw new ConflictError(
        `no GPU capacity left: node group '${nodeGroup}' has ${state.reservedGpus} of ${limit} GPUs reserved and this request needs ${gpus} more; retry after other deployments scale down, or choose another gpu_config_id`,
      );
    }
    this.ledgers.set(gpuConfigId, { ...state, reservedGpus: state.reservedGpus + gpus, updatedAt: this.clock.now().toISOString() });
  }

  async release(gpuConfigId: string, gpus: number): Promise<void> {
    if (gpus <= 0) return;
    const state = this.state(gpuConfigId);
    this.ledgers.set(gpuConfigId, { ...state, reservedGpus: Math.max(0, state.reservedGpus - gpus), updatedAt: this.clock.now().toISOString() });
  }

  async read(gpuConfigId: string): Promise<LedgerState> {
    return structuredClone(this.state(gpuConfigId));
  }

  async recordDrift(gpuConfigId: string, observation: LedgerObservation | null): Promise<void> {
    const { driftObserved: _old, ...state } = this.state(gpuConfigId);
    this.ledgers.set(gpuConfigId, observation ? { ...state, driftObserved: structuredClone(observation) } : state);
  }

  async repair(gpuConfigId: string, gpus: number, expected: Pick<LedgerState, 'reservedGpus' | 'updatedAt'>): Promise<boolean> {
    const state = this.state(gpuConfigId);
    if (state.reservedGpus !== expected.reservedGpus || state.updatedAt !== expected.updatedAt) return false;
    this.ledgers.set(gpuConfigId, { reservedGpus: gpus, updatedAt: this.clock.now().toISOString() });
    return true;
  }
}
