/** gpuctl list, get, scale, pause, resume and delete: a project's deployments. */
import type { Command } from 'commander';
import type { Deployment } from '../api';
import { age, duration, money, seconds } from '../output';
import { waitForDeployment } from '../progress';
import { describeLoadScaling } from './autoscaling';
import { addWaitOptions, clientFor, globals, integer, print, printJson, show, tableCommand, waitOptions, type WaitFlags } from './shared';

export const describeDeployment = (d: Deployment): string => {
  const rows: [string, unknown][] = [
    ['id', d.id],
    ['name', d.name],
    ['model', `${d.model_name} (${d.model_id})`],
    ['status', `${d.status} (phase ${d.phase})`],
    ['fail_reason', d.fail_reason],
    ['endpoint_url', d.endpoint_url],
    ['region', d.region],
    ['gpus', `${d.replicas} replica(s) x ${d.gpu_count} on ${d.gpu_config_id}, plan ${d.plan_id}`],
    ['range', d.autoscaling ? `${d.autoscaling.min_replicas} to ${d.autoscaling.max_replicas} replicas` : null],
    ['autoscaler', describeLoadScaling(d)],
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

/**
 * PUT …/scale and, with --wait, until it holds: 0 replicas is a pause (phase `paused`), more
 * than 0 serving (from a paused deployment: a resume).
 */
const scaleTo = async (command: Command, id: string, replicas: number, wait: WaitFlags): Promise<void> => {
  const client = clientFor(command);
  const output = globals(command).output;
  const answer = await client.call('scale-deployment', { model_id: id }, { body: { replicas } });
  if (!wait.wait) {
    if (output === 'json') return printJson(answer);
    if (replicas === 0) return print(answer.phase === 'paused' ? `${answer.id} is paused` : `${answer.id} pausing: ${answer.status}/${answer.phase}; gpuctl get ${answer.id} shows phase paused once the pods are gone`);
    return print(`${answer.id} scaling to ${answer.replicas} replicas: ${answer.status}/${answer.phase}`);
  }
  const done = await waitForDeployment(client, id, replicas === 0 ? 'paused' : 'scaled', waitOptions(wait));
  if (output === 'json') return printJson(done);
  print(replicas === 0 ? `${done.id} paused: 0 replicas, no endpoint (gpuctl resume ${done.id})` : `${done.id} serves ${done.replicas} replicas: ${done.endpoint_url}`);
};

interface ListOptions {
  page: number;
  limit: number;
  cursor?: string;
}

export const registerDeployments = (program: Command): void => {
  tableCommand(program, {
    name: 'list',
    description: 'List the project\'s deployments',
    options: (command) =>
      command
        .option('--page <n>', 'page', integer('--page', 1), 1)
        .option('--limit <n>', 'per page (at most 100)', integer('--limit', 1), 20)
        .option('--cursor <cursor>', 'the page after a previous one (its next_cursor); reads only that page, however deep'),
    request: (client, options: ListOptions) =>
      client.call('list-deployments', {}, { query: options.cursor ? { cursor: options.cursor, limit: options.limit } : { page: options.page, limit: options.limit } }),
    columns: [
      ['ID', (d) => d.id],
      ['NAME', (d) => d.name],
      ['MODEL', (d) => d.model_id],
      ['STATUS', (d) => d.status],
      ['PHASE', (d) => d.phase],
      ['REPLICAS', (d) => d.replicas],
      ['GPUS', (d) => `${d.gpu_count}x${d.gpu_config_id}`],
      ['AGE', (d) => age(d.created_at)],
      ['ENDPOINT', (d) => d.endpoint_url ?? '-'],
    ],
    footer: ({ pagination: p }) =>
      p.total_pages > 1 ? `page ${p.current_page} of ${p.total_pages} (${p.total_items} deployments)${p.next_cursor ? `; next: --cursor ${p.next_cursor}` : ''}` : undefined,
  });

  program
    .command('get')
    .description('Show one deployment')
    .argument('<id>', 'deployment id (dep-...)')
    .action(async (id: string, _options: object, command: Command) => {
      const answer = await clientFor(command).call('get-deployment', { model_id: id });
      show(command, answer, describeDeployment);
    });

  addWaitOptions(
    program
      .command('scale')
      .description('Change the number of replicas; 0 pauses (no pods, the GPUs go back), more than 0 resumes a paused deployment')
      .argument('<id>', 'deployment id')
      .argument('<replicas>', 'desired replicas (0 = pause)', integer('replicas', 0)),
    'wait until the new replicas serve, or until paused (exit 3 if it fails)',
  ).action((id: string, replicas: number, options: WaitFlags, command: Command) => scaleTo(command, id, replicas, options));

  addWaitOptions(
    program.command('pause').description('Pause: scale to 0 replicas (same as gpuctl scale ID 0)').argument('<id>', 'deployment id'),
    'wait until the phase is paused (exit 3 if it fails)',
  ).action((id: string, options: WaitFlags, command: Command) => scaleTo(command, id, 0, options));

  addWaitOptions(
    program
      .command('resume')
      .description('Resume a paused deployment (same as gpuctl scale ID N)')
      .argument('<id>', 'deployment id')
      .option('--replicas <n>', 'replicas to serve with', integer('--replicas', 1), 1),
    'wait until it serves again (exit 3 if it fails)',
  ).action((id: string, options: WaitFlags & { replicas: number }, command: Command) => scaleTo(command, id, options.replicas, options));

  addWaitOptions(program.command('delete').description('Delete a deployment').argument('<id>', 'deployment id'), 'wait until it is gone (404)').action(
    async (id: string, options: WaitFlags, command: Command) => {
      const client = clientFor(command);
      const output = globals(command).output;
      await client.call('delete-deployment', { model_id: id });
      if (options.wait) await waitForDeployment(client, id, 'gone', waitOptions(options));
      if (output === 'json') return printJson({ id, deleted: options.wait ? true : 'accepted' });
      print(options.wait ? `${id} deleted` : `${id} delete accepted; gpuctl get ${id} answers 404 once it is gone`);
    },
  );
};
