/** gpuctl keys create, list, get, revoke and usage: the inference keys of the project. */
import type { Command } from 'commander';
import type { InferenceKey, InferenceKeyUsage } from '../api';
import { table } from '../output';
import { clientFor, collect, globals, integer, print, printJson, show, tableCommand } from './shared';

interface CreateOptions {
  name: string;
  expiresAt?: string;
  deployment?: string[];
  rpm?: number;
  tpm?: number;
  concurrency?: number;
}

interface ListOptions {
  page: number;
  limit: number;
}

const limitsOf = (key: Pick<InferenceKey, 'limits'>): string =>
  [
    key.limits.requests_per_minute === undefined ? '' : `${key.limits.requests_per_minute} rpm`,
    key.limits.tokens_per_minute === undefined ? '' : `${key.limits.tokens_per_minute} tpm`,
    key.limits.concurrent_requests === undefined ? '' : `${key.limits.concurrent_requests} concurrent`,
  ]
    .filter(Boolean)
    .join(', ') || 'none';

export const describeKey = (key: InferenceKey): string =>
  (
    [
      ['id', key.id],
      ['name', key.name],
      ['prefix', `${key.key_prefix}…`],
      ['state', key.state],
      ['created', key.created_at],
      ['expires', key.expires_at ?? 'never'],
      ['revoked', key.revoked_at],
      ['deployments', key.deployment_ids?.join(', ') ?? 'every deployment of the project'],
      ['limits', limitsOf(key)],
    ] as [string, unknown][]
  )
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k.padEnd(12)} ${v}`)
    .join('\n');

export const describeKeyUsage = (usage: InferenceKeyUsage): string => {
  if (usage.days.length === 0) return `${usage.key_id}: no requests metered yet`;
  const rows = [...usage.days, { date: 'total', deployment_id: '', ...usage.total }];
  return table(rows, [
    ['DAY', (d) => d.date],
    ['DEPLOYMENT', (d) => d.deployment_id],
    ['REQUESTS', (d) => d.requests],
    ['PROMPT', (d) => d.prompt_tokens],
    ['COMPLETION', (d) => d.completion_tokens],
    ['ESTIMATED', (d) => d.estimated_requests],
  ]);
};

export const registerKeys = (program: Command): void => {
  const keys = program.command('keys').description('Inference keys: what calls the deployments\' endpoint_url (Authorization: Bearer sk-…)');

  keys
    .command('create')
    .description('Create a key; prints the key itself on stdout (shown only once: store it now), its id on stderr')
    .requiredOption('--name <name>', 'what the key is for (1-64 characters)')
    .option('--expires-at <time>', 'RFC 3339 time it stops working, e.g. 2027-01-31T00:00:00Z (default: never)')
    .option('--deployment <id>', 'a deployment the key may call; repeatable (default: every deployment of the project)', collect)
    .option('--rpm <n>', 'requests per minute', integer('--rpm', 1))
    .option('--tpm <n>', 'prompt + completion tokens per minute', integer('--tpm', 1))
    .option('--concurrency <n>', 'requests in flight at once', integer('--concurrency', 1))
    .addHelpText('after', '\nExample:\n  KEY=$(gpuctl keys create --name ci --deployment dep-123 --rpm 60)')
    .action(async (options: CreateOptions, command: Command) => {
      const limits = {
        ...(options.rpm === undefined ? {} : { requests_per_minute: options.rpm }),
        ...(options.tpm === undefined ? {} : { tokens_per_minute: options.tpm }),
        ...(options.concurrency === undefined ? {} : { concurrent_requests: options.concurrency }),
      };
      const body = {
        name: options.name,
        ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
        ...(options.deployment === undefined ? {} : { deployment_ids: options.deployment }),
        ...(Object.keys(limits).length === 0 ? {} : { limits }),
      };
      const created = await clientFor(command).call('create-inference-key', {}, { body });
      if (globals(command).output === 'json') return printJson(created);
      process.stderr.write(`created ${created.id} (${created.name}); the key below is shown only once\n`);
      print(created.key);
    });

  tableCommand(keys, {
    name: 'list',
    description: 'List the project\'s keys, newest first (never the keys themselves)',
    options: (command) => command.option('--page <n>', 'page', integer('--page', 1), 1).option('--limit <n>', 'per page (at most 100)', integer('--limit', 1), 20),
    request: (client, options: ListOptions) => client.call('list-inference-keys', {}, { query: { page: options.page, limit: options.limit } }),
    columns: [
      ['ID', (k) => k.id],
      ['NAME', (k) => k.name],
      ['PREFIX', (k) => k.key_prefix],
      ['STATE', (k) => k.state],
      ['CREATED', (k) => k.created_at],
      ['EXPIRES', (k) => k.expires_at ?? 'never'],
      ['DEPLOYMENTS', (k) => k.deployment_ids?.join(',') ?? 'all'],
      ['LIMITS', (k) => limitsOf(k)],
    ],
    footer: (answer) =>
      answer.pagination.current_page < answer.pagination.total_pages ? `page ${answer.pagination.current_page} of ${answer.pagination.total_pages}: --page ${answer.pagination.current_page + 1} for more` : undefined,
  });

  keys
    .command('get')
    .description('Show one key: state, expiry, deployments, limits (never the key itself)')
    .argument('<key-id>', 'key id (ik…)')
    .action(async (keyId: string, _options: object, command: Command) => {
      show(command, await clientFor(command).call('get-inference-key', { key_id: keyId }), describeKey);
    });

  keys
    .command('revoke')
    .description('Revoke a key: it stops working within 30 s, stays listed as revoked; revoking again changes nothing')
    .argument('<key-id>', 'key id (ik…)')
    .action(async (keyId: string, _options: object, command: Command) => {
      await clientFor(command).call('revoke-inference-key', { key_id: keyId });
      if (globals(command).output === 'json') return printJson({ id: keyId, state: 'revoked' });
      print(`${keyId} is revoked`);
    });

  keys
    .command('usage')
    .description('Requests, prompt and completion tokens of a key, per UTC day and deployment, and the total')
    .argument('<key-id>', 'key id (ik…)')
    .action(async (keyId: string, _options: object, command: Command) => {
      show(command, await clientFor(command).call('get-inference-key-usage', { key_id: keyId }), describeKeyUsage);
    });
};
