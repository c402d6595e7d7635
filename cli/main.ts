/**
 * gpuctl: the command line of the GPU model deployment API (docs/cli.md).
 *
 * Exit codes: 0 ok; 1 the API refused (4xx, its message is printed); 2 usage (bad flags,
 * unreadable spec, not logged in); 3 the deployment failed while --wait was waiting;
 * 4 the API could not be reached or answered 5xx; 5 --wait gave up (--timeout).
 * `--output json` prints the API's JSON answer unchanged, for scripts.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ApiError, Client, UnavailableError, UsageError, type Json } from './client';
import { ConfigError, configPath, loadConfig, saveConfig, tokenClaims } from './config';
import { age, duration, money, newLines, seconds, table } from './output';
import { describeSchedule, describeUsage, parseWindow } from './schedule';
import { DeploymentFailedError, waitForDeployment, WaitTimeoutError, type WaitGoal } from './progress';

// `gpuctl list | head`: a reader that stops early ends the output quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

export const EXIT = { ok: 0, api: 1, usage: 2, failed: 3, unavailable: 4, timeout: 5 } as const;
const DEFAULT_API_URL = 'http://127.0.0.1:8080';

interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  org?: string;
  project?: string;
  output: 'table' | 'json';
  config?: string;
}

const integer = (name: string, min = 0) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return Number(value);
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const printJson = (body: unknown): void => print(JSON.stringify(body, null, 2));

const globals = (command: Command): GlobalOptions => command.optsWithGlobals() as GlobalOptions;

/** The API scope from flags, environment and the config file, in that order. */
const clientFor = (command: Command): Client => {
  const options = globals(command);
  const config = loadConfig(configPath(options.config));
  const token = options.token ?? process.env.GPUCTL_TOKEN ?? config?.token;
  if (!token) throw new UsageError('not logged in: run gpuctl login (or pass --token)');
  const claims = tokenClaims(token);
  const onlyProject = claims.project_ids && /^[^\s,*]+$/.test(claims.project_ids.trim()) ? claims.project_ids.trim() : undefined;
  return new Client({
    apiUrl: options.apiUrl ?? process.env.GPUCTL_API_URL ?? config?.api_url ?? DEFAULT_API_URL,
    token,
    org: options.org ?? process.env.GPUCTL_ORG ?? config?.org_id ?? claims.org_id,
    project: options.project ?? process.env.GPUCTL_PROJECT ?? config?.project_id ?? onlyProject,
  });
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const waitOptions = (options: { interval: number; timeout: number }) => ({
  intervalMs: options.interval * 1000,
  timeoutMs: options.timeout * 1000,
  out: process.stderr,
});

const addWaitOptions = (command: Command, what: string) =>
  command
    .option('--wait', what)
    .option('--interval <seconds>', 'poll interval while waiting', Number, 2)
    .option('--timeout <seconds>', 'give up waiting after this long (exit 5)', integer('--timeout', 1), 3600);

const describeDeployment = (d: Json): string => {
  const rows: [string, unknown][] = [
    ['id', d.id],
    ['name', d.name],
    ['model', `${d.model_name} (${d.model_id})`],
    ['status', `${d.status} (phase ${d.phase})`],
    ['fail_reason', d.fail_reason],
    ['endpoint_url', d.endpoint_url],
    ['region', d.region],
    ['gpus', `${d.replicas} replica(s) x ${d.gpu_count} on ${d.gpu_config_id}, plan ${d.plan_id}`],
    ['config', `max_model_len ${d.config?.max_model_len}, max_num_seqs ${d.config?.max_num_seqs}${d.config?.extra_args?.length ? `, extra_args ${d.config.extra_args.join(' ')}` : ''}`],
    ['created', `${d.created_at} (${age(d.created_at)} ago)`],
    ['uptime', duration(d.uptime_seconds ?? 0)],
    ['serving', d.serving_seconds === undefined ? null : `${seconds(d.serving_seconds)} in total`],
    ['gpu_seconds', d.gpu_seconds],
    ['cost_to_date', d.cost_to_date === undefined ? null : `${money(d.cost_to_date)} (gpuctl usage ${d.id})`],
    ['eta', d.eta ? `${d.eta.expected_ready_at} (from ${d.eta.based_on}${d.eta.based_on === 'history' ? `, ${d.eta.samples} samples` : ''})` : null],
    ['timeline', Object.entries(d.timeline ?? {}).map(([m, at]) => `${m} ${at}`).join('\n             ')],
    ['workflow', d.workflow?.console_url],
  ];
  return rows
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k.padEnd(12)} ${v}`)
    .join('\n');
};

// -------------------------------------------------------------------------------------------

const program = new Command('gpuctl')
  .description('Deploy and manage dedicated GPU model deployments (vLLM on EKS).')
  .addOption(new Option('--api-url <url>', 'API base URL (default: from login, $GPUCTL_API_URL, or http://127.0.0.1:8080)'))
  .addOption(new Option('--token <jwt>', 'bearer token (default: from login or $GPUCTL_TOKEN)'))
  .option('--org <org_id>', 'organization (default: the token\'s org_id)')
  .option('--project <project_id>', 'project (default: the token\'s project, when it names one)')
  .addOption(new Option('-o, --output <format>', 'table for people, json for scripts (the API\'s answer unchanged)').choices(['table', 'json']).default('table'))
  .option('--config <path>', 'config file (default: $GPUCTL_CONFIG or ~/.config/gpuctl/config.json)')
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 API refused the request (4xx), 2 usage, 3 deployment failed while waiting,\n4 API unreachable or 5xx, 5 gave up waiting (--timeout).',
  );

program
  .command('login')
  .description('Store the API URL and a token (from --token or stdin, e.g. npm run --silent token -- ... | gpuctl login)')
  .action(async (_options, command: Command) => {
    const options = globals(command);
    const path = configPath(options.config);
    const fromStdin = options.token === undefined && !process.stdin.isTTY ? await readStdin() : undefined;
    const token = (options.token ?? fromStdin ?? '').trim().replace(/^Bearer\s+/i, '');
    if (!token) throw new UsageError('no token: pass --token <jwt> or pipe it on stdin');
    const previous = loadConfigQuietly(path);
    const apiUrl = options.apiUrl ?? process.env.GPUCTL_API_URL ?? previous?.api_url ?? DEFAULT_API_URL;
    const client = new Client({ apiUrl, token });
    await client.request('GET', '/api/v1beta1/aimodels-catalog'); // 401 for a token the API does not accept
    const claims = tokenClaims(token);
    saveConfig(path, { api_url: apiUrl, token, ...(options.org ? { org_id: options.org } : {}), ...(options.project ? { project_id: options.project } : {}) });
    if (options.output === 'json') printJson({ api_url: apiUrl, config: path, org_id: options.org ?? claims.org_id ?? null, project_ids: claims.project_ids ?? null });
    else print(`logged in to ${apiUrl} as org ${options.org ?? claims.org_id ?? '?'}, projects ${options.project ?? claims.project_ids ?? '?'}; saved to ${path}`);
  });

const loadConfigQuietly = (path: string) => {
  try {
    return loadConfig(path);
  } catch {
    return undefined;
  }
};

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
addWaitOptions(deploy, 'wait until ready, showing the phases live (exit 3 if it fails)').action(async (options, command: Command) => {
  const client = clientFor(command);
  const output = globals(command).output;
  const spec = await buildSpec(client, options);
  const { body } = await client.request('POST', client.deploymentsPath(), { body: spec, query: { dry_run: options.dryRun ? 'true' : undefined } });
  if (options.dryRun) {
    if (output === 'json') return printJson(body);
    return print(
      [
        `would be accepted: ${body.would_be_accepted ? 'yes' : 'no (not enough free GPUs)'}`,
        `capacity: node group ${body.capacity.node_group} (${body.capacity.instance_type}), nodes ${body.capacity.nodes_needed_now} -> ${body.capacity.nodes_needed_after}, reserve ${body.capacity.gpus_to_reserve} GPUs (${body.capacity.gpus_reserved}/${body.capacity.gpus_limit} reserved)`,
        `memory: needs ${body.memory.neededGiB.toFixed(1)} GiB of ${body.memory.availableGiB.toFixed(1)} GiB`,
        `cost: ${body.cost.per_hour} ${body.cost.currency}/hour (${body.cost.formula})`,
      ].join('\n'),
    );
  }
  if (!options.wait) {
    if (output === 'json') return printJson(body);
    return print(`${body.id} (${body.name}) accepted: ${body.status}/${body.phase}; follow it with gpuctl get ${body.id} or deploy --wait`);
  }
  if (output !== 'json') process.stderr.write(`${body.id} (${body.name}) accepted; waiting until ready\n`);
  const ready = await waitForDeployment(client, body.id, 'ready', waitOptions(options));
  if (output === 'json') return printJson(ready);
  print(`${ready.id} ready: ${ready.endpoint_url}`);
});

/** A YAML or JSON file (`-`: stdin) holding one object, e.g. a request body. */
const readObjectFile = async (path: string, what: string): Promise<Record<string, any>> => {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${path} must hold one object (${what})`);
  return parsed as Record<string, any>;
};

/** The POST body: the spec file, overridden by flags, with the GPU, region and plan filled in when left out. */
const buildSpec = async (client: Client, options: Record<string, any>): Promise<Record<string, unknown>> => {
  const spec: Record<string, any> = options.file ? await readObjectFile(options.file, 'the deploy request') : {};
  const flags: Record<string, unknown> = {
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
  const config = { ...(spec.config ?? {}) };
  if (options.maxModelLen !== undefined) config.max_model_len = options.maxModelLen;
  if (options.maxNumSeqs !== undefined) config.max_num_seqs = options.maxNumSeqs;
  if (options.extraArg) config.extra_args = options.extraArg;
  if (Object.keys(config).length > 0) spec.config = config;
  if (!spec.name || !spec.catalog_id) throw new UsageError('deploy needs --name and --catalog-id (or a --file that has them)');

  if (spec.gpu_config_id === undefined) {
    const model = (await client.request('GET', '/api/v1beta1/aimodels-catalog')).body.items.find((m: Json) => m.id === spec.catalog_id);
    if (model) {
      spec.gpu_config_id = model.recommended_gpu.gpu_config_id;
      spec.gpu_count ??= model.recommended_gpu.gpu_count;
    }
  }
  if (spec.gpu_config_id !== undefined && (spec.region === undefined || spec.plan_id === undefined)) {
    const gpu = (await client.request('GET', '/api/v1beta1/inventory')).body.items.find((g: Json) => g.config_id === spec.gpu_config_id);
    if (gpu) {
      spec.region ??= gpu.region;
      spec.plan_id ??= gpu.plans[0]?.plan_id;
    }
  }
  return spec;
};

program
  .command('list')
  .description('List the project\'s deployments')
  .option('--page <n>', 'page', integer('--page', 1), 1)
  .option('--limit <n>', 'per page (at most 100)', integer('--limit', 1), 20)
  .option('--cursor <cursor>', 'the page after a previous one (its next_cursor); reads only that page, however deep')
  .action(async (options, command: Command) => {
    const client = clientFor(command);
    const query = options.cursor ? { cursor: options.cursor, limit: options.limit } : { page: options.page, limit: options.limit };
    const { body } = await client.request('GET', client.deploymentsPath(), { query });
    if (globals(command).output === 'json') return printJson(body);
    print(
      table(body.items, [
        ['ID', (d) => d.id],
        ['NAME', (d) => d.name],
        ['MODEL', (d) => d.model_id],
        ['STATUS', (d) => d.status],
        ['PHASE', (d) => d.phase],
        ['REPLICAS', (d) => d.replicas],
        ['GPUS', (d) => `${d.gpu_count}x${d.gpu_config_id}`],
        ['AGE', (d) => age(d.created_at)],
        ['ENDPOINT', (d) => d.endpoint_url ?? '-'],
      ]),
    );
    const p = body.pagination;
    if (p.total_pages > 1) {
      print(`page ${p.current_page} of ${p.total_pages} (${p.total_items} deployments)${p.next_cursor ? `; next: --cursor ${p.next_cursor}` : ''}`);
    }
  });

program
  .command('get')
  .description('Show one deployment')
  .argument('<id>', 'deployment id (dep-...)')
  .action(async (id: string, _options, command: Command) => {
    const client = clientFor(command);
    const { body } = await client.request('GET', `${client.deploymentsPath()}/${encodeURIComponent(id)}`);
    if (globals(command).output === 'json') return printJson(body);
    print(describeDeployment(body));
  });

/**
 * PUT …/scale and, with --wait, until it holds: 0 replicas is a pause (phase `paused`), more
 * than 0 serving (from a paused deployment: a resume).
 */
const scaleTo = async (command: Command, id: string, replicas: number, wait: { wait?: boolean; interval: number; timeout: number }): Promise<void> => {
  const client = clientFor(command);
  const output = globals(command).output;
  const { body } = await client.request('PUT', `${client.deploymentsPath()}/${encodeURIComponent(id)}/scale`, { body: { replicas } });
  if (!wait.wait) {
    if (output === 'json') return printJson(body);
    if (replicas === 0) return print(body.phase === 'paused' ? `${body.id} is paused` : `${body.id} pausing: ${body.status}/${body.phase}; gpuctl get ${body.id} shows phase paused once the pods are gone`);
    return print(`${body.id} scaling to ${body.replicas} replicas: ${body.status}/${body.phase}`);
  }
  const done = await waitForDeployment(client, id, replicas === 0 ? 'paused' : 'scaled', waitOptions(wait));
  if (output === 'json') return printJson(done);
  print(replicas === 0 ? `${done.id} paused: 0 replicas, no endpoint (gpuctl resume ${done.id})` : `${done.id} serves ${done.replicas} replicas: ${done.endpoint_url}`);
};

addWaitOptions(
  program
    .command('scale')
    .description('Change the number of replicas; 0 pauses (no pods, the GPUs go back), more than 0 resumes a paused deployment')
    .argument('<id>', 'deployment id')
    .argument('<replicas>', 'desired replicas (0 = pause)', integer('replicas', 0)),
  'wait until the new replicas serve, or until paused (exit 3 if it fails)',
).action((id: string, replicas: number, options, command: Command) => scaleTo(command, id, replicas, options));

addWaitOptions(
  program.command('pause').description('Pause: scale to 0 replicas (same as gpuctl scale ID 0)').argument('<id>', 'deployment id'),
  'wait until the phase is paused (exit 3 if it fails)',
).action((id: string, options, command: Command) => scaleTo(command, id, 0, options));

addWaitOptions(
  program
    .command('resume')
    .description('Resume a paused deployment (same as gpuctl scale ID N)')
    .argument('<id>', 'deployment id')
    .option('--replicas <n>', 'replicas to serve with', integer('--replicas', 1), 1),
  'wait until it serves again (exit 3 if it fails)',
).action((id: string, options, command: Command) => scaleTo(command, id, options.replicas, options));

addWaitOptions(
  program.command('delete').description('Delete a deployment').argument('<id>', 'deployment id'),
  'wait until it is gone (404)',
).action(async (id: string, options, command: Command) => {
  const client = clientFor(command);
  const output = globals(command).output;
  await client.request('DELETE', `${client.deploymentsPath()}/${encodeURIComponent(id)}`);
  if (options.wait) await waitForDeployment(client, id, 'gone', waitOptions(options));
  if (output === 'json') return printJson({ id, deleted: options.wait ? true : 'accepted' });
  print(options.wait ? `${id} deleted` : `${id} delete accepted; gpuctl get ${id} answers 404 once it is gone`);
});

const splitLines = (log: string): string[] => (log === '' ? [] : log.replace(/\n$/, '').split('\n'));

program
  .command('logs')
  .description('Print the model server log of each pod (oldest pod first)')
  .argument('<id>', 'deployment id')
  .option('--tail <n>', 'lines per pod', integer('--tail', 1), 100)
  .option('--replica <index|pod>', 'one pod: its index (0 = oldest) or name')
  .option('--previous', 'the previous container\'s log (after a restart)')
  .option('-f, --follow', 'keep polling and print only new lines (Ctrl-C to stop)')
  .option('--interval <seconds>', 'poll interval with --follow', Number, 2)
  .action(async (id: string, options, command: Command) => {
    const client = clientFor(command);
    const json = globals(command).output === 'json';
    const path = `${client.deploymentsPath()}/${encodeURIComponent(id)}/logs`;
    const query = { tail_lines: options.tail, replica: options.replica, previous: options.previous ? 'true' : undefined };
    const seen = new Map<string, string[]>();
    for (;;) {
      let body: Json;
      try {
        body = (await client.request('GET', path, { query })).body;
      } catch (error) {
        // Following a deployment that is deleted meanwhile ends quietly.
        if (options.follow && seen.size > 0 && error instanceof ApiError && error.status === 404) return;
        throw error;
      }
      if (json) {
        // One JSON document per poll (one line each when following).
        print(options.follow ? JSON.stringify(body) : JSON.stringify(body, null, 2));
      } else {
        const prefix = body.pods.length > 1;
        for (const pod of body.pods) {
          if (pod.error && !seen.has(pod.name)) process.stderr.write(`[${pod.name}] log unavailable: ${pod.error}\n`);
          const lines = splitLines(pod.log);
          for (const line of newLines(seen.get(pod.name) ?? [], lines)) print(prefix ? `[${pod.name}] ${line}` : line);
          seen.set(pod.name, lines);
        }
      }
      if (!options.follow) return;
      await sleep(options.interval * 1000);
    }
  });

program
  .command('events')
  .description('Show a deployment\'s history, oldest first')
  .argument('<id>', 'deployment id')
  .option('--limit <n>', 'events per page (at most 100)', integer('--limit', 1), 50)
  .option('--cursor <cursor>', 'continue after a previous page (its next_cursor)')
  .option('--all', 'follow next_cursor through every page')
  .action(async (id: string, options, command: Command) => {
    const client = clientFor(command);
    const path = `${client.deploymentsPath()}/${encodeURIComponent(id)}/events`;
    const items: Json[] = [];
    let cursor: string | undefined = options.cursor;
    let last: Json;
    do {
      last = (await client.request('GET', path, { query: { limit: options.limit, cursor } })).body;
      items.push(...last.items);
      cursor = last.next_cursor ?? undefined;
    } while (options.all && cursor);
    if (globals(command).output === 'json') return printJson(options.all ? { items, next_cursor: null } : last);
    print(
      table(items, [
        ['AT', (e) => e.at],
        ['TYPE', (e) => e.type],
        ['STATUS', (e) => e.status],
        ['PHASE', (e) => e.phase],
        ['MESSAGE', (e) => `${e.message}${e.reason ? ` (${e.reason})` : ''}`],
      ]),
    );
    if (!options.all && last.next_cursor) print(`more: gpuctl events ${id} --cursor ${last.next_cursor} (or --all)`);
  });

const schedulePath = (client: Client, id: string): string => `${client.deploymentsPath()}/${encodeURIComponent(id)}/schedule`;

const schedule = program
  .command('schedule')
  .description('Scaling windows (cron in an IANA time zone) and an idle timeout of a deployment');

schedule
  .command('get')
  .description('Show the schedule: windows with their next fire, idle timeout, next check (exit 1 if there is none)')
  .argument('<id>', 'deployment id')
  .action(async (id: string, _options, command: Command) => {
    const client = clientFor(command);
    const { body } = await client.request('GET', schedulePath(client, id));
    if (globals(command).output === 'json') return printJson(body);
    print(describeSchedule(id, body, new Date()));
  });

schedule
  .command('set')
  .description('Replace the schedule, from flags or a YAML/JSON file holding the PUT body (flags override it)')
  .argument('<id>', 'deployment id')
  .option('-f, --file <path>', 'schedule file (YAML or JSON), - for stdin')
  .option('--window <cron=replicas>', 'a window: at each fire of the 5-field cron, scale to replicas (0 pauses); repeatable, e.g. --window "0 20 * * 1-5=0"', collect)
  .option('--timezone <zone>', 'IANA time zone of the cron times, e.g. Europe/Berlin or UTC')
  .option('--idle-timeout <minutes>', 'pause after this many minutes without a request (1-10080)', integer('--idle-timeout', 1))
  .addHelpText('after', '\nExample:\n  gpuctl schedule set dep-123 --timezone Europe/Berlin --window "0 20 * * 1-5=0" --window "0 8 * * 1-5=1" --idle-timeout 60')
  .action(async (id: string, options, command: Command) => {
    const body: Record<string, unknown> = options.file ? await readObjectFile(options.file, 'the schedule: time_zone, windows, idle_timeout_minutes') : {};
    if (options.timezone !== undefined) body.time_zone = options.timezone;
    if (options.window) body.windows = (options.window as string[]).map(parseWindow);
    if (options.idleTimeout !== undefined) body.idle_timeout_minutes = options.idleTimeout;
    if (Object.keys(body).length === 0) throw new UsageError('schedule set needs --timezone with --window and/or --idle-timeout, or a --file');
    const client = clientFor(command);
    const { body: view } = await client.request('PUT', schedulePath(client, id), { body });
    if (globals(command).output === 'json') return printJson(view);
    print(describeSchedule(id, view, new Date()));
  });

schedule
  .command('delete')
  .description('Remove the schedule: no more windows or idle pauses (the replicas stay as they are)')
  .argument('<id>', 'deployment id')
  .action(async (id: string, _options, command: Command) => {
    const client = clientFor(command);
    await client.request('DELETE', schedulePath(client, id));
    if (globals(command).output === 'json') return printJson({ id, schedule: null });
    print(`${id} has no schedule now`);
  });

program
  .command('usage')
  .description('Serving time, GPU-seconds and cost so far, per UTC day and in total')
  .argument('<id>', 'deployment id')
  .action(async (id: string, _options, command: Command) => {
    const client = clientFor(command);
    const { body } = await client.request('GET', `${client.deploymentsPath()}/${encodeURIComponent(id)}/usage`);
    if (globals(command).output === 'json') return printJson(body);
    print(describeUsage(body));
  });

program
  .command('catalog')
  .description('List the models that can be deployed')
  .action(async (_options, command: Command) => {
    const { body } = await clientFor(command).request('GET', '/api/v1beta1/aimodels-catalog');
    if (globals(command).output === 'json') return printJson(body);
    print(
      table(body.items, [
        ['ID', (m) => m.id],
        ['NAME', (m) => m.name],
        ['PARAMS', (m) => `${m.parameters_billion}B`],
        ['DTYPE', (m) => m.dtype],
        ['WEIGHTS', (m) => `${m.weights_gib} GiB`],
        ['RECOMMENDED', (m) => `${m.recommended_gpu.gpu_count}x${m.recommended_gpu.gpu_config_id}`],
        ['MAX_MODEL_LEN', (m) => `${m.configurations.max_model_len.min}-${m.configurations.max_model_len.max}`],
        ['GATED', (m) => (m.gated ? 'yes' : 'no')],
      ]),
    );
  });

program
  .command('inventory')
  .description('List GPU configurations, their limits and price plans')
  .action(async (_options, command: Command) => {
    const { body } = await clientFor(command).request('GET', '/api/v1beta1/inventory');
    if (globals(command).output === 'json') return printJson(body);
    print(
      table(body.items, [
        ['CONFIG_ID', (g) => g.config_id],
        ['GPU', (g) => g.gpu_type],
        ['MEMORY', (g) => `${g.gpu_memory_gib} GiB`],
        ['REGION', (g) => g.region],
        ['INSTANCE', (g) => g.instance_type],
        ['MAX_GPUS/REPLICA', (g) => g.max_gpu_count],
        ['MAX_GPUS', (g) => g.max_gpus_total],
        ['PLANS', (g) => g.plans.map((p: Json) => `${p.plan_id} ${p.unit_price} ${p.currency}/GPU-h`).join(', ')],
      ]),
    );
  });

// -------------------------------------------------------------------------------------------

const exitCodeOf = (error: unknown): number => {
  if (error instanceof ApiError) return EXIT.api;
  if (error instanceof DeploymentFailedError) return EXIT.failed;
  if (error instanceof UnavailableError) return EXIT.unavailable;
  if (error instanceof WaitTimeoutError) return EXIT.timeout;
  return EXIT.usage;
};

export const run = async (argv: readonly string[]): Promise<number> => {
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; commander already printed the usage problem.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message =
      error instanceof ApiError
        ? `${error.message} (${error.code}, HTTP ${error.status})`
        : error instanceof UsageError || error instanceof ConfigError || error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`gpuctl: ${message}\n`);
    return exitCodeOf(error);
  }
};

process.exitCode = await run(process.argv.slice(2));
