/** gpuctl login: checks a token against the API and keeps it, with the API URL, in the config file. */
import type { Command } from 'commander';
import { Client, UsageError } from '../client';
import { configPath, loadConfig, saveConfig, tokenClaims } from '../config';
import { DEFAULT_API_URL, globals, print, printJson, readStdin } from './shared';

const loadConfigQuietly = (path: string) => {
  try {
    return loadConfig(path);
  } catch {
    return undefined;
  }
};

export const registerLogin = (program: Command): void => {
  program
    .command('login')
    .description('Store the API URL and a token (from --token or stdin, e.g. npm run --silent token -- ... | gpuctl login)')
    .action(async (_options: object, command: Command) => {
      const options = globals(command);
      const path = configPath(options.config);
      const fromStdin = options.token === undefined && !process.stdin.isTTY ? await readStdin() : undefined;
      const token = (options.token ?? fromStdin ?? '').trim().replace(/^Bearer\s+/i, '');
      if (!token) throw new UsageError('no token: pass --token <jwt> or pipe it on stdin');
      const previous = loadConfigQuietly(path);
      const apiUrl = options.apiUrl ?? process.env.GPUCTL_API_URL ?? previous?.api_url ?? DEFAULT_API_URL;
      await new Client({ apiUrl, token }).call('list-catalog'); // 401 for a token the API does not accept
      const claims = tokenClaims(token);
      saveConfig(path, { api_url: apiUrl, token, ...(options.org ? { org_id: options.org } : {}), ...(options.project ? { project_id: options.project } : {}) });
      if (options.output === 'json') printJson({ api_url: apiUrl, config: path, org_id: options.org ?? claims.org_id ?? null, project_ids: claims.project_ids ?? null });
      else print(`logged in to ${apiUrl} as org ${options.org ?? claims.org_id ?? '?'}, projects ${options.project ?? claims.project_ids ?? '?'}; saved to ${path}`);
    });
};
