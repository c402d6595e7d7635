/** The deployment history in memory: events per deployment, oldest first, cursors like the table's sort key suffix. */
import type { Tenant } from '../../../functions/domain/deployment';
import type { DeploymentEvent, EventLog } from '../../../functions/ports';

export class InMemoryEventLog implements EventLog {
  private readonly byDeployment = new Map<string, { cursor: string; event: DeploymentEvent }[]>();
  private sequence = 0;

  append(tenant: Tenant, deploymentId: string, event: DeploymentEvent): void {
    const key = `${tenant.org_id}#${tenant.project_id}#${deploymentId}`;
    this.sequence += 1;
    const entries = this.byDeployment.get(key) ?? [];
    entries.push({ cursor: `${event.at}#${String(this.sequence).padStart(6, '0')}`, event: structuredClone(event) });
    entries.sort((a, b) => a.cursor.localeCompare(b.cursor));
    this.byDeployment.set(key, entries);
  }

  /** Every event of one deployment (test helper). */
  of(tenant: Tenant, deploymentId: string): DeploymentEvent[] {
    return (this.byDeployment.get(`${tenant.org_id}#${tenant.project_id}#${deploymentId}`) ?? []).map((e) => structuredClone(e.event));
  }

  async list(tenant: Tenant, deploymentId: string, options: { limit: number; after?: string }) {
    const entries = (this.byDeployment.get(`${tenant.org_id}#${tenant.project_id}#${deploymentId}`) ?? []).filter(
      (e) => options.after === undefined || e.cursor > options.after,
    );
    const page = entries.slice(0, options.limit);
    return {
      items: page.map((e) => structuredClone(e.event)),
      ...(entries.length > options.limit ? { next: page.at(-1)?.cursor } : {}),
    };
  }
}
