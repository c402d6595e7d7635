/**
 * What every command uses: the global options, the client for the chosen scope, printing an
 * answer as JSON or for people (`show`, `tableCommand`), option parsers, `--wait` options and
 * reading a YAML/JSON file or stdin.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Client, UsageError } from '../client';
import { configPath, loadConfig, tokenClaims } from '../config';
import { table, type Column } from '../output';
import type { WaitOptions } from '../progress';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  org?: string;
  project?: string;
  output: 'table' | 'json';
  config?: string;
}

export const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

export const integer = (name: string, min = 0) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return Number(value);
};
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const printJson = (body: unknown): void => print(JSON.stringify(body, null, 2));

/** `--output json`: the answer unchanged; otherwise `render`'s text for people. */
export const show = <T>(command: Command, body: T, render: (body: T) => string): void => (globals(command).output === 'json' ? printJson(body) : print(render(body)));

/** The API URL from the flag, environment and config file, in that order. */
const apiUrlOf = (options: GlobalOptions, config: ReturnType<typeof loadConfig>): string => options.apiUrl ?? process.env.GPUCTL_API_URL ?? config?.api_url ?? DEFAULT_API_URL;

/** The API scope from flags, environment and the config file, in that order. */
export const clientFor = (command: Command): Client => {
  const options = globals(command);
  const config = loadConfig(configPath(options.config));
  const token = options.token ?? process.env.GPUCTL_TOKEN ?? config?.token;
  if (!token) throw new UsageError('not logged in: run gpuctl login (or pass --token)');
  const claims = tokenClaims(token);
  const onlyProject = claims.project_ids && /^[^\s,*]+$/.test(claims.project_ids.trim()) ? claims.project_ids.trim() : undefined;
  return new Client({
    apiUrl: apiUrlOf(options, config),
    token,
    org: options.org ?? process.env.GPUCTL_ORG ?? config?.org_id ?? claims.org_id,
    project: options.project ?? process.env.GPUCTL_PROJECT ?? config?.project_id ?? onlyProject,
  });
};

/** For the public routes (the API's own description): the API URL as clientFor finds it, no login needed. */
export const publicClientFor = (command: Command): { client: Client; apiUrl: string } => {
  const options = globals(command);
  const apiUrl = apiUrlOf(options, loadConfig(configPath(options.config)));
  return { client: new Client({ apiUrl }), apiUrl };
};

/**
 * A command that makes one request and prints the answer's `items` as a table (or the answer
 * as JSON), with an optional line under the table (e.g. the next page).
 */
export const tableCommand = <Answer extends { items: readonly unknown[] }, Options extends object = Record<never, never>>(
  parent: Command,
  spec: {
    name: string;
    description: string;
    options?: (command: Command) => Command;
    request: (client: Client, options: Options) => Promise<Answer>;
    columns: readonly Column<NoInfer<Answer>['items'][number]>[];
    footer?: (answer: NoInfer<Answer>) => string | undefined;
  },
): Command => {
  const command = parent.command(spec.name).description(spec.description);
  return (spec.options?.(command) ?? command).action(async (options: Options, self: Command) => {
    const answer = await spec.request(clientFor(self), options);
    if (globals(self).output === 'json') return printJson(answer);
    print(table(answer.items, spec.columns));
    const footer = spec.footer?.(answer);
    if (footer) print(footer);
  });
};

export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A YAML or JSON file (`-`: stdin) holding one object, e.g. a request body. */
export const readObjectFile = async (path: string, what: string): Promise<Record<string, unknown>> => {
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
  return parsed as Record<string, unknown>;
};

export interface WaitFlags {
  wait?: boolean;
  interval: number;
  timeout: number;
}

export const waitOptions = (options: WaitFlags): WaitOptions => ({
  intervalMs: options.interval * 1000,
  timeoutMs: options.timeout * 1000,
  out: process.stderr,
});

export const addWaitOptions = (command: Command, what: string): Command =>
  command
    .option('--wait', what)
    .option('--interval <seconds>', 'poll interval while waiting', Number, 2)
    .option('--timeout <seconds>', 'give up waiting after this long (exit 5)', integer('--timeout', 1), 3600);
