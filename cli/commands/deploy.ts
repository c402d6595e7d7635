/** gpuctl deploy: the POST body from a spec file and flags, the GPU, region and plan filled in from catalog and inventory. */
import type { Command } from 'commander';
import type { DeployDraft, Deployment, DryRunPlan } from '../api';
import { type Client, UsageError } from '../client';
import { waitForDeployment } from '../progress';
import { addWaitOptions, clientFor, collect, globals, integer, print, printJson, readObjectFile, waitOptions, type WaitFlags } from './shared';

interface DeployOptions extends WaitFlags {
  file?: string;
  name?: string;
  catalogId?: string;
  gpuConfigId?: string;
  gpuCount?: number;
  region?: string;
  planId?: string;
  replicas?: number;
  maxModelLen?: number;
  maxNumSeqs?: number;
  extraArg?: string[];
  initialDelaySeconds?: number;
  dryRun?: boolean;
}

/** The POST body: the spec file, overridden by flags, with the GPU, region and plan filled in when left out. */
export const buildSpec = async (client: Client, options: DeployOptions): Promise<DeployDraft> => {
  const spec: DeployDraft = options.file ? await readObjectFile(options.file, 'the deploy request') : {};
  const flags: DeployDraft = {
    name: options.name,
    catalog_id: options.catalogId,
    gpu_config_id: options.gpuConfigId,
    gpu_count: options.gpuCount,
    region: options.region,
    plan_id: options.planId,
    replicas: options.replicas,
    initial_delay_seconds: options.initialDelaySeconds,
  };
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) spec[key] = value;
  const config: Record<string, unknown> = { ...spec.config };
  if (options.maxModelLen !== undefined) config.max_model_len = options.maxModelLen;
  if (options.maxNumSeqs !== undefined) config.max_num_seqs = options.maxNumSeqs;
  if (options.extraArg) config.extra_args = options.extraArg;
  if (Object.keys(config).length > 0) spec.config = config;
  if (!spec.name || !spec.catalog_id) throw new UsageError('deploy needs --name and --catalog-id (or a --file that has them)');

  if (spec.gpu_config_id === undefined) {
    const model = (await client.call('list-catalog')).items.find((m) => m.id === spec.catalog_id);
    if (model) {
      spec.gpu_config_id = model.recommended_gpu.gpu_config_id;
      spec.gpu_count ??= model.recommended_gpu.gpu_count;
    }
  }
  if (spec.gpu_config_id !== undefined && (spec.region === undefined || spec.plan_id === undefined)) {
    const gpu = (await client.call('list-inventory')).items.find((g) => g.config_id === spec.gpu_config_id);
    if (gpu) {
      spec.region ??= gpu.region;
      spec.plan_id ??= gpu.plans[0]?.plan_id;
    }
  }
  return spec;
};

const describePlan = (plan: DryRunPlan): string => {
  const { capacity, memory, cost } = plan;
  return [
    `would be accepted: ${plan.would_be_accepted ? 'yes' : 'no (not enough free GPUs)'}`,
    `capacity: node group ${capacity.node_group} (${capacity.instance_type}), nodes ${capacity.nodes_needed_now} -> ${capacity.nodes_needed_after}, reserve ${capacity.gpus_to_reserve} GPUs (${capacity.gpus_reserved}/${capacity.gpus_limit} reserved)`,
    // A custom model's memory may be unchecked (no size declared): then the reason.
    'neededGiB' in memory ? `memory: needs ${memory.neededGiB.toFixed(1)} GiB of ${memory.availableGiB.toFixed(1)} GiB` : `memory: not checked (${memory.reason})`,
    `cost: ${cost.per_hour} ${cost.currency}/hour (${cost.formula})`,
  ].join('\n');
};

const isPlan = (answer: Deployment | DryRunPlan): answer is DryRunPlan => 'dry_run' in answer;

export const registerDeploy = (program: Command): void => {
  const deploy = program
    .command('deploy')
    .description('Deploy a model, from flags or a YAML/JSON spec file (the POST body; flags override it)')
    .option('-f, --file <path>', 'spec file (YAML or JSON), - for stdin')
    .option('--name <name>', 'deployment name (DNS label, 3-30 characters)')
    .option('--catalog-id <id>', 'catalog model id (gpuctl catalog)')
    .option('--gpu-config-id <id>', 'GPU configuration (gpuctl inventory); default: the model\'s recommended GPU')
    .option('--gpu-count <n>', 'GPUs per replica', integer('--gpu-count', 1))
    .option('--region <region>', 'region; default: the GPU configuration\'s')
    .option('--plan-id <id>', 'price plan; default: the GPU configuration\'s first plan')
    .option('--replicas <n>', 'replicas', integer('--replicas', 1))
    .option('--max-model-len <n>', 'context length in tokens', integer('--max-model-len', 1))
    .option('--max-num-seqs <n>', 'concurrent sequences', integer('--max-num-seqs', 1))
    .option('--extra-arg <arg>', 'extra vLLM flag (repeatable)', collect)
    .option('--initial-delay-seconds <n>', 'more startup time for a slow model', integer('--initial-delay-seconds'))
    .option('--dry-run', 'show what would happen (nodes, GPUs, cost, manifests) without deploying');
  addWaitOptions(deploy, 'wait until ready, showing the phases live (exit 3 if it fails)').action(async (options: DeployOptions, command: Command) => {
    const client = clientFor(command);
    const output = globals(command).output;
    const spec = await buildSpec(client, options);
    const answer = await client.call('create-deployment', {}, { body: spec, query: { dry_run: options.dryRun ? 'true' : undefined } });
    if (output === 'json' && (options.dryRun || !options.wait)) return printJson(answer);
    if (isPlan(answer)) return print(describePlan(answer));
    if (!options.wait) return print(`${answer.id} (${answer.name}) accepted: ${answer.status}/${answer.phase}; follow it with gpuctl get ${answer.id} or deploy --wait`);
    if (output !== 'json') process.stderr.write(`${answer.id} (${answer.name}) accepted; waiting until ready\n`);
    const ready = await waitForDeployment(client, answer.id, 'ready', waitOptions(options));
    if (output === 'json') return printJson(ready);
    print(`${ready.id} ready: ${ready.endpoint_url}`);
  });
};
