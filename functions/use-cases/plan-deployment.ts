/**
 * `?dry_run=true`: what a deploy would do, without doing it: the nodes it would add, the
 * GPUs it would reserve, the Kubernetes objects it would apply (secrets redacted), its memory
 * estimate and its cost per minute.
 */
import { ledgerGpus, nodeGroupGpuLimit, nodesNeeded } from '../domain/capacity';
import type { Tenant } from '../domain/deployment';
import { newDeploymentRecord } from '../domain/new-deployment';
import { checkTenantLabelValues, renderModelWorkload } from '../domain/manifests';
import { estimateMemory } from '../domain/memory-fit';
import { isCustomSpec, type DeploySpec } from '../domain/custom-model';
import type { Ports } from '../ports';

export const planDeployment = async (ports: Pick<Ports, 'deployments' | 'ledger' | 'serving'>, tenant: Tenant, spec: DeploySpec, now: Date) => {
  checkTenantLabelValues(tenant);
  const group = spec.gpuConfig;
  const demand = await ports.deployments.gpuDemandOf(group.config_id);
  const nodesBefore = nodesNeeded(demand, group.gpus_per_node);
  const nodesAfter = nodesNeeded([...demand, { gpuCount: spec.request.gpu_count, replicas: spec.replicas }], group.gpus_per_node);
  const reserve = ledgerGpus(spec.request.gpu_count, spec.replicas, group.gpus_per_node);
  const reserved = await ports.ledger.reserved(group.config_id);
  const limit = nodeGroupGpuLimit(group);
  // A token would be stored as a secret: the preview names a placeholder ARN, never the token.
  const hfTokenSecretArn = spec.request.hf_token === undefined ? undefined : 'arn:aws:secretsmanager:<region>:<account>:secret:<prefix>/hf-token/<deployment id>';
  const preview = newDeploymentRecord(tenant, spec, { id: 'dep-dryrun', executionArn: '', hfTokenSecretArn }, now);
  const perMinute = (spec.plan.unit_price * spec.request.gpu_count * spec.replicas) / 60;
  return {
    dry_run: true,
    would_be_accepted: reserved + reserve <= limit,
    replicas: spec.replicas,
    autoscaling: spec.autoscaling ?? null,
    capacity: {
      node_group: group.node_group.name,
      instance_type: group.instance_type,
      nodes_needed_now: nodesBefore,
      nodes_needed_after: nodesAfter,
      nodes_to_add: Math.max(0, nodesAfter - nodesBefore),
      gpus_to_reserve: reserve,
      gpus_reserved: reserved,
      gpus_limit: limit,
    },
    memory: isCustomSpec(spec) ? spec.memory : estimateMemory(spec.model, group, spec.request.gpu_count, spec.config.max_model_len),
    cost: {
      per_minute: Number(perMinute.toFixed(6)),
      per_hour: Number((perMinute * 60).toFixed(4)),
      currency: spec.plan.currency,
      formula: 'unit_price x gpu_count x replicas / 60',
    },
    manifests: renderModelWorkload(preview, isCustomSpec(spec) ? undefined : spec.model, group, ports.serving.namespace, ports.serving.ingress, ports.serving.image),
  };
};
