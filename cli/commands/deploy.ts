/**
 * gpuctl deploy: the POST body from a spec file, a recipe and flags, the GPU, region and plan filled
 * in from catalog and inventory; gpuctl apply: a Kubernetes Deployment manifest as it is.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DeployDraft, Deployment, DryRunPlan } from '../api';
import { type Client, UsageError } from '../client';
import { waitForDeployment } from '../progress';
import { addWaitOptions, clientFor, collect, globals, integer, print, printJson, readObjectFile, readStdin, waitOptions, type WaitFlags } from './shared';

interface DeployOptions extends WaitFlags {
  file?: string;
  name?: string;
  catalogId?: string;
  recipe?: string;
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
    recipe_name: options.recipe,
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
  // With a recipe the API fills in every field not given from its deploy_body, so nothing is looked up here.
  if (spec.recipe_name !== undefined) {
    if (!spec.name) throw new UsageError('deploy --recipe needs --name');
    return spec;
  }
  if (!spec.name || !(spec.catalog_id || spec.huggingface_id)) throw new UsageError('deploy needs --name and --catalog-id, --recipe, or a --file that has them (or huggingface_id)');

  if (spec.gpu_config_id === undefined && spec.catalog_id !== undefined) {
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

/** What deploy and apply do with the answer: the plan, the accepted deployment, or with --wait the live progress until ready. */
const report = async (client: Client, output: 'table' | 'json', answer: Deployment | DryRunPlan, options: WaitFlags & { dryRun?: boolean }, again: string): Promise<void> => {
  if (output === 'json' && (options.dryRun || !options.wait)) return printJson(answer);
  if (isPlan(answer)) return print(describePlan(answer));
  if (!options.wait) return print(`${answer.id} (${answer.name}) accepted: ${answer.status}/${answer.phase}; follow it with gpuctl get ${answer.id} or ${again} --wait`);
  if (output !== 'json') process.stderr.write(`${answer.id} (${answer.name}) accepted; waiting until ready\n`);
  const ready = await waitForDeployment(client, answer.id, 'ready', waitOptions(options));
  if (output === 'json') return printJson(ready);
  print(`${ready.id} ready: ${ready.endpoint_url}`);
};

export const registerDeploy = (program: Command): void => {
  const deploy = program
    .command('deploy')
    .description('Deploy a model, from flags, a recipe or a YAML/JSON spec file (the POST body; flags override it)')
    .option('-f, --file <path>', 'spec file (YAML or JSON), - for stdin')
    .option('--name <name>', 'deployment name (DNS label, 3-30 characters)')
    .option('--catalog-id <id>', 'catalog model id (gpuctl catalog)')
    .option('--recipe <name>', 'a recipe (gpuctl recipes): its deploy body fills in every field not given')
    .option('--gpu-config-id <id>', 'GPU configuration (gpuctl inventory); default: the model\'s recommended GPU')
    .option('--gpu-count <n>', 'GPUs per replica', integer('--gpu-count', 1))
    .option('--region <region>', 'region; default: the GPU configuration\'s')
    .option('--plan-id <id>', 'price plan; default: the GPU configuration\'s first plan')
    .option('--replicas <n>', 'replicas', integer('--replicas', 1))
    .option('--max-model-len <n>', 'context length in tokens', integer('--max-model-len', 1))
    .option('--max-num-seqs <n>', 'concurrent sequences', integer('--max-num-seqs', 1))
    .option('--extra-arg <arg>', 'extra vLLM flag (repeatable)', collect)
    .option('--initial-delay-seconds <n>', 'more startup time for a slow model', integer('--initial-delay-seconds'))
    .option('--dry-run', 'show what would happen (nodes, GPUs, cost, manifests) without deploying')
    .addHelpText('after', '\nA Kubernetes Deployment manifest is deployed with gpuctl apply -f, not deploy -f.');
  addWaitOptions(deploy, 'wait until ready, showing the phases live (exit 3 if it fails)').action(async (options: DeployOptions, command: Command) => {
    const client = clientFor(command);
    const spec = await buildSpec(client, options);
    const answer = await client.call('create-deployment', {}, { body: spec, query: { dry_run: options.dryRun ? 'true' : undefined } });
    await report(client, globals(command).output, answer, options, 'deploy');
  });
};

interface ApplyOptions extends WaitFlags {
  file: string;
  gpuConfigId: string;
  planId?: string;
  region?: string;
  name?: string;
  dryRun?: boolean;
}

/** gpuctl apply -f: a Kubernetes Deployment manifest (POST …/aimodels/yaml), deployed as a custom model. */
export const registerApply = (program: Command): void => {
  const apply = program
    .command('apply')
    .description('Deploy a Kubernetes Deployment manifest (apps/v1, one document) as a custom model on a GPU configuration')
    .requiredOption('-f, --file <path>', 'the manifest (YAML), - for stdin')
    .requiredOption('--gpu-config-id <id>', 'GPU configuration its pods run on (gpuctl inventory)')
    .option('--plan-id <id>', 'price plan; default: the GPU configuration\'s first plan')
    .option('--region <region>', 'region; default: the GPU configuration\'s')
    .option('--name <name>', 'deployment name; default: the manifest\'s metadata.name')
    .option('--dry-run', 'show what would happen without deploying')
    .addHelpText('after', '\nThe manifest\'s rules (GPU requests, no privileges, no host paths) are in docs/custom-models.md; each refusal names its path.');
  addWaitOptions(apply, 'wait until ready, showing the phases live (exit 3 if it fails)').action(async (options: ApplyOptions, command: Command) => {
    const client = clientFor(command);
    let manifest: string;
    try {
      manifest = options.file === '-' ? await readStdin() : readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${options.file}: ${(error as Error).message}`);
    }
    let planId = options.planId;
    if (planId === undefined) {
      const gpu = (await client.call('list-inventory')).items.find((g) => g.config_id === options.gpuConfigId);
      planId = gpu?.plans[0]?.plan_id;
      if (planId === undefined) throw new UsageError(`no GPU configuration ${options.gpuConfigId} with a plan: see gpuctl inventory, or pass --plan-id`);
    }
    const query = { gpu_config_id: options.gpuConfigId, plan_id: planId, region: options.region, name: options.name, dry_run: options.dryRun ? 'true' : undefined };
    const answer = await client.call('deploy-yaml', {}, { body: manifest, query });
    await report(client, globals(command).output, answer, options, 'apply');
  });
};
