/**
 * The deployment store in memory, with the semantics the use cases rely on: records are copied
 * in and out (no shared references), every conditional write fails with StaleWriteError like
 * DynamoDB's ConditionalCheckFailed, the name claim refuses a taken name with 409, the GPU-demand
 * index holds a record from create until its reservation is taken (and again after
 * `holdsCapacityOn`), the in-flight index follows the phase, and the schedule-due index the
 * due time (claims conditional on it).
 */
import type { DeploymentRecord, Tenant } from '../../../functions/domain/deployment';
import { ConflictError } from '../../../functions/domain/errors';
import { isInFlight } from '../../../functions/domain/lifecycle';
import {
  StaleWriteError,
  type DeploymentChanges,
  type DeploymentKey,
  type DeploymentStore,
  type Page,
  type Reservation,
  type UpdateOptions,
  type WriteCondition,
} from '../../../functions/ports';
import { InMemoryEventLog } from './event-log';

/** The real store's grace before a claim without its record counts as a crash's leftover. */
const NAME_CLAIM_GRACE_MS = 5 * 60_000;

interface Stored {
  record: DeploymentRecord;
  /** The GPU config whose demand this record counts toward (index `by-gpu-config`); undefined once its reservation was taken. */
  demandOn?: string;
  /** When the schedule sweeper should look at it next (index `schedule-due`). */
  dueAt?: string;
}

const tenantOf = (t: Tenant) => `${t.org_id}#${t.project_id}`;
const keyOf = (t: Tenant, id: string) => `${tenantOf(t)}#${id}`;
const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryDeploymentStore implements DeploymentStore {
  private readonly items = new Map<string, Stored>();
  private readonly names = new Map<string, { deploymentId: string; claimedAt: string }>();
  private readonly counters = new Map<string, number>();
  /** Every write call, in order (what a test may assert was, or was not, written). */
  readonly writes: string[] = [];

  constructor(readonly events = new InMemoryEventLog()) {}

  /** Puts a record as it would be after some history (test setup): indexed as the real store would index it. */
  seed(record: DeploymentRecord, options: { demandOn?: string | null; dueAt?: string } = {}): DeploymentRecord {
    const demandOn = options.demandOn === null ? undefined : (options.demandOn ?? (record.reserved_gpus > 0 ? record.gpu_config_id : undefined));
    this.items.set(keyOf(record, record.id), { record: copy(record), demandOn, dueAt: options.dueAt });
    this.names.set(`${tenantOf(record)}#${record.name}`, { deploymentId: record.id, claimedAt: record.created_at });
    this.counters.set(tenantOf(record), (this.counters.get(tenantOf(record)) ?? 0) + 1);
    return copy(record);
  }

  /** The stored record, read as a test would read the table (undefined if gone). */
  peek(key: DeploymentKey): DeploymentRecord | undefined {
    const stored = this.items.get(keyOf(key, key.id));
    return stored ? copy(stored.record) : undefined;
  }

  async create(record: DeploymentRecord): Promise<void> {
    this.writes.push(`create ${record.id}`);
    this.claimName(record);
    this.events.append(record, record.id, {
      at: record.created_at,
      status: record.status,
      phase: record.phase,
      type: 'accepted',
      message: `deployment of ${record.model_id} accepted`,
      execution_arn: record.execution_arn,
    });
    if (this.items.has(keyOf(record, record.id))) throw new Error(`ConditionalCheckFailed: deployment ${record.id} exists`);
    // Like the real store: a deployment with load scaling on is due for the sweeper from its creation.
    this.items.set(keyOf(record, record.id), { record: copy(record), demandOn: record.gpu_config_id, dueAt: record.load_scaling ? record.created_at : undefined });
    this.counters.set(tenantOf(record), (this.counters.get(tenantOf(record)) ?? 0) + 1);
  }

  private claimName(record: DeploymentRecord): void {
    const nameKey = `${tenantOf(record)}#${record.name}`;
    const claim = this.names.get(nameKey);
    if (claim) {
      const young = Date.parse(record.created_at) - Date.parse(claim.claimedAt) < NAME_CLAIM_GRACE_MS;
      if (young || this.items.has(keyOf(record, claim.deploymentId))) {
        throw new ConflictError(`a deployment named '${record.name}' already exists in project '${record.project_id}'`);
      }
    }
    this.names.set(nameKey, { deploymentId: record.id, claimedAt: record.created_at });
  }

  private releaseName(record: DeploymentRecord): void {
    const nameKey = `${tenantOf(record)}#${record.name}`;
    if (this.names.get(nameKey)?.deploymentId === record.id) this.names.delete(nameKey);
  }

  async get(tenant: Tenant, id: string): Promise<DeploymentRecord | undefined> {
    return this.peek({ ...tenant, id });
  }

  async list(tenant: Tenant, page: number, limit: number, after?: string): Promise<Page<DeploymentRecord>> {
    const all = [...this.items.values()]
      .map((s) => s.record)
      .filter((r) => tenantOf(r) === tenantOf(tenant))
      .sort((a, b) => b.id.localeCompare(a.id));
    const start = after === undefined ? (page - 1) * limit : all.findIndex((r) => r.id < after);
    const items = start < 0 ? [] : all.slice(start, start + limit);
    return { items: items.map(copy), total: this.counters.get(tenantOf(tenant)) ?? 0 };
  }

  async update(tenant: Tenant, id: string, changes: DeploymentChanges, condition: WriteCondition, options: UpdateOptions): Promise<DeploymentRecord> {
    this.writes.push(`update ${id} ${Object.keys(changes).join(',')}`);
    const stored = this.items.get(keyOf(tenant, id));
    const current = stored?.record;
    if (
      !stored ||
      !current ||
      (condition.version !== undefined && current.version !== condition.version) ||
      (condition.executionArn !== undefined && current.execution_arn !== condition.executionArn) ||
      (condition.statusIn !== undefined && !condition.statusIn.includes(current.status))
    ) {
      throw new StaleWriteError(`deployment ${id} changed since it was read, or is owned by another operation`);
    }
    const at = options.now.toISOString();
    const next: DeploymentRecord = { ...current, timeline: { ...current.timeline } };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || key === 'updated_at') continue;
      Object.assign(next, { [key]: copy(value) });
    }
    next.version = current.version + 1;
    next.updated_at = at;
    for (const milestone of options.milestones ?? []) next.timeline[milestone] ??= at;
    stored.record = next;
    if (options.holdsCapacityOn !== undefined) stored.demandOn = options.holdsCapacityOn;
    if (options.event) {
      this.events.append(next, id, {
        at,
        status: next.status,
        phase: next.phase,
        type: options.event.type,
        message: options.event.message,
        ...(options.event.reason ? { reason: options.event.reason } : {}),
        execution_arn: next.execution_arn,
      });
    }
    return copy(next);
  }

  async takeReservation(tenant: Tenant, id: string, executionArn: string): Promise<{ gpuConfigId: string; gpus: number }> {
    this.writes.push(`takeReservation ${id}`);
    const stored = this.items.get(keyOf(tenant, id));
    if (!stored || stored.record.execution_arn !== executionArn || !(stored.record.reserved_gpus > 0)) return { gpuConfigId: '', gpus: 0 };
    const gpus = stored.record.reserved_gpus;
    stored.record = { ...stored.record, reserved_gpus: 0, version: stored.record.version + 1 };
    stored.demandOn = undefined;
    return { gpuConfigId: stored.record.gpu_config_id, gpus };
  }

  async remove(record: DeploymentRecord, executionArn: string): Promise<void> {
    this.writes.push(`remove ${record.id}`);
    const stored = this.items.get(keyOf(record, record.id));
    if (!stored || stored.record.execution_arn !== executionArn) throw new StaleWriteError(`deployment ${record.id} is owned by another operation`);
    this.items.delete(keyOf(record, record.id));
    this.releaseName(record);
    this.counters.set(tenantOf(record), (this.counters.get(tenantOf(record)) ?? 0) - 1);
  }

  async discard(record: DeploymentRecord): Promise<void> {
    this.writes.push(`discard ${record.id}`);
    const existed = this.items.delete(keyOf(record, record.id));
    this.releaseName(record);
    if (existed) this.counters.set(tenantOf(record), (this.counters.get(tenantOf(record)) ?? 0) - 1);
  }

  async gpuDemandOf(gpuConfigId: string) {
    return [...this.items.values()]
      .filter((s) => s.demandOn === gpuConfigId)
      .map((s) => ({ id: s.record.id, gpuCount: s.record.gpu_count, replicas: s.record.replicas }));
  }

  async inFlight(): Promise<DeploymentKey[]> {
    return [...this.items.values()]
      .map((s) => s.record)
      .filter((r) => isInFlight(r.phase))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => ({ org_id: r.org_id, project_id: r.project_id, id: r.id }));
  }

  async reservationsOn(gpuConfigId: string): Promise<Reservation[]> {
    return [...this.items.values()]
      .filter((s) => s.demandOn === gpuConfigId)
      .map(({ record: r }) => ({
        org_id: r.org_id,
        project_id: r.project_id,
        id: r.id,
        status: r.status,
        phase: r.phase,
        reserved_gpus: r.reserved_gpus,
        execution_arn: r.execution_arn,
      }));
  }

  async putSchedule(
    tenant: Tenant,
    id: string,
    schedule: { schedule: DeploymentRecord['schedule']; state: DeploymentRecord['schedule_state'] } | null,
    dueAt: string | null,
  ): Promise<void> {
    this.writes.push(`putSchedule ${id}`);
    const stored = this.items.get(keyOf(tenant, id));
    if (!stored || stored.record.status === 'terminating') throw new StaleWriteError(`deployment ${id} is gone or being deleted`);
    const { schedule: _s, schedule_state: _st, ...rest } = stored.record;
    stored.record = schedule ? { ...rest, schedule: copy(schedule.schedule), schedule_state: copy(schedule.state) } : rest;
    stored.dueAt = dueAt ?? undefined;
  }

  async dueDeployments(now: Date, limit: number) {
    const upper = `${now.toISOString()}#~`;
    const due = [...this.items.values()]
      .filter((s) => s.dueAt !== undefined && `${s.dueAt}#${s.record.id}` <= upper)
      .sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? ''));
    return { itemsRead: due.length, due: due.slice(0, limit).map((s) => ({ record: copy(s.record), dueAt: s.dueAt ?? '' })) };
  }

  async claimDue(key: DeploymentKey, seenDueAt: string, leaseUntil: string): Promise<boolean> {
    const stored = this.items.get(keyOf(key, key.id));
    if (!stored || stored.dueAt !== seenDueAt) return false;
    stored.dueAt = leaseUntil;
    return true;
  }

  async finishDue(key: DeploymentKey, leaseUntil: string, state: NonNullable<DeploymentRecord['schedule_state']>, nextDueAt: string | null): Promise<boolean> {
    const stored = this.items.get(keyOf(key, key.id));
    if (!stored || stored.dueAt !== leaseUntil) return false;
    stored.record = { ...stored.record, schedule_state: copy(state) };
    stored.dueAt = nextDueAt ?? undefined;
    return true;
  }

  async scheduleDueAt(tenant: Tenant, id: string): Promise<string | null> {
    return this.items.get(keyOf(tenant, id))?.dueAt ?? null;
  }
}
