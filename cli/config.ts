/**
 * Where gpuctl keeps the API URL and the token: $GPUCTL_CONFIG, else
 * $XDG_CONFIG_HOME/gpuctl/config.json, else ~/.config/gpuctl/config.json (mode 0600).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod';

const configSchema = z.object({
  api_url: z.string().url(),
  token: z.string().min(1),
  org_id: z.string().optional(),
  project_id: z.string().optional(),
});
export type Config = z.infer<typeof configSchema>;

export const configPath = (override?: string): string =>
  override ?? process.env.GPUCTL_CONFIG ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'gpuctl', 'config.json');

export class ConfigError extends Error {}

export const loadConfig = (path: string): Config | undefined => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = configSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ConfigError(`${path} is not a gpuctl config (${parsed.error.issues[0]?.message}); run gpuctl login again`);
  return parsed.data;
};

export const saveConfig = (path: string, config: Config): void => {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // also when the file existed with a wider mode
};

/** The token's claims, read without verifying it (the API verifies); only to default org and project. */
export const tokenClaims = (token: string): { org_id?: string; project_ids?: string } => {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : typeof claims[`custom:${name}`] === 'string' ? (claims[`custom:${name}`] as string) : undefined);
    return { org_id: text('org_id'), project_ids: text('project_ids') };
  } catch {
    return {};
  }
};
