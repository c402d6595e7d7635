/** The data plane's ports in memory: inference keys, token usage counters, gateway secrets, load signals. */
import { controlPlaneKey, deriveKey, modelServerKey, type InferenceKeyRecord } from '../../../functions/domain/inference-keys';
import type { Tenant } from '../../../functions/domain/deployment';
import {
  StaleWriteError,
  type GatewaySecrets,
  type InferenceKeyStore,
  type LoadSignals,
  type LoadSnapshot,
  type Page,
  type TokenUsageDay,
  type TokenUsageStore,
  type UsageIncrement,
} from '../../../functions/ports';

export class InMemoryInferenceKeyStore implements InferenceKeyStore {
  readonly records = new Map<string, InferenceKeyRecord>();

  async create(record: InferenceKeyRecord): Promise<void> {
    if (this.records.has(record.id)) throw new StaleWriteError(`inference key ${record.id} exists`);
    this.records.set(record.id, structuredClone(record));
  }

  async get(keyId: string): Promise<InferenceKeyRecord | undefined> {
    const record = this.records.get(keyId);
    return record && structuredClone(record);
  }

  async list(tenant: Tenant, page: { page: number; limit: number }): Promise<Page<InferenceKeyRecord>> {
    const mine = [...this.records.values()]
      .filter((r) => r.org_id === tenant.org_id && r.project_id === tenant.project_id)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    const from = (page.page - 1) * page.limit;
    return { items: mine.slice(from, from + page.limit).map((r) => structuredClone(r)), total: mine.length };
  }

  async revoke(keyId: string, at: Date): Promise<InferenceKeyRecord | undefined> {
    const record = this.records.get(keyId);
    if (!record) return undefined;
    record.revoked_at ??= at.toISOString();
    return structuredClone(record);
  }
}

export class InMemoryTokenUsage implements TokenUsageStore {
  readonly rows = new Map<string, TokenUsageDay & { keyId: string }>();

  async add(increments: readonly UsageIncrement[]): Promise<void> {
    for (const i of increments) {
      const id = `${i.keyId}#${i.deploymentId}#${i.day}`;
      const row = this.rows.get(id) ?? { keyId: i.keyId, deploymentId: i.deploymentId, day: i.day, requests: 0, promptTokens: 0, completionTokens: 0, estimatedRequests: 0 };
      row.requests += i.requests;
      row.promptTokens += i.promptTokens;
      row.completionTokens += i.completionTokens;
      row.estimatedRequests += i.estimatedRequests;
      this.rows.set(id, row);
    }
  }

  async ofKey(keyId: string): Promise<TokenUsageDay[]> {
    return [...this.rows.values()]
      .filter((r) => r.keyId === keyId)
      .map(({ keyId: _key, ...day }) => day)
      .sort((a, b) => a.day.localeCompare(b.day) || a.deploymentId.localeCompare(b.deploymentId));
  }

  async ofDeployment(deploymentId: string): Promise<TokenUsageDay[]> {
    const days = new Map<string, TokenUsageDay>();
    for (const r of this.rows.values()) {
      if (r.deploymentId !== deploymentId) continue;
      const day = days.get(r.day) ?? { day: r.day, deploymentId, requests: 0, promptTokens: 0, completionTokens: 0, estimatedRequests: 0 };
      day.requests += r.requests;
      day.promptTokens += r.promptTokens;
      day.completionTokens += r.completionTokens;
      day.estimatedRequests += r.estimatedRequests;
      days.set(r.day, day);
    }
    return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
}

/** Derives from a fixed master secret, as the real one derives from the secret in Secrets Manager. */
export class InMemoryGatewaySecrets implements GatewaySecrets {
  constructor(private readonly master: Buffer = Buffer.alloc(32, 7)) {}

  async keyHashPepper(): Promise<Buffer> {
    return deriveKey(this.master, 'inference-key-hash');
  }

  async modelServerKey(deploymentId: string): Promise<string> {
    return modelServerKey(deriveKey(this.master, 'model-server-key'), deploymentId);
  }

  async controlPlaneKey(deploymentId: string): Promise<string> {
    return controlPlaneKey(deriveKey(this.master, 'control-plane-key'), deploymentId);
  }
}

export class InMemoryLoadSignals implements LoadSignals {
  readonly latest = new Map<string, LoadSnapshot & { instanceId: string }>();

  async publish(instanceId: string, snapshots: readonly LoadSnapshot[]): Promise<void> {
    for (const s of snapshots) this.latest.set(`${s.deploymentId}#${instanceId}`, { ...s, instanceId });
  }

  async read(deploymentId: string, freshSince: Date) {
    const sum = { inFlight: 0, held: 0, completed: 0, instances: 0 };
    for (const s of this.latest.values()) {
      if (s.deploymentId !== deploymentId || Date.parse(s.at) < freshSince.getTime()) continue;
      sum.inFlight += s.inFlight;
      sum.held += s.held;
      sum.completed += s.completed;
      sum.instances += 1;
    }
    return sum;
  }
}
