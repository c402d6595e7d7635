/**
 * `npm run --silent token -- --org <org_id> --project <project_id>`: prints a dev JWT for the
 * local API Gateway, signed with the key under DATA_DIR (default `.data` in the current
 * directory). Only the token goes to stdout, so `TOKEN=$(npm run --silent token -- ...)` works.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, ROLES, signDevToken, type DevTokenClaims, type Role } from './jwt';

const USAGE =
  'usage: npm run --silent token -- --org <org_id> --project <project_id>[,<project_id>...|*] ' +
  `[--project ...] [--role ${ROLES.join('|')}] [--ttl <seconds>] [--sub <user_id>]`;

class UsageError extends Error {}

function parseTokenArgs(argv: readonly string[]): DevTokenClaims {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      org: { type: 'string' },
      project: { type: 'string', multiple: true },
      role: { type: 'string' },
      ttl: { type: 'string' },
      sub: { type: 'string' },
    },
  });
  if (!values.org) throw new UsageError('--org is required');
  const projectIds = (values.project ?? []).flatMap((value) => value.split(',')).map((id) => id.trim());
  if (projectIds.every((id) => id === '')) throw new UsageError('at least one --project is required (or --project "*")');
  return {
    org_id: values.org,
    project_ids: projectIds.filter((id) => id !== ''),
    ...(values.role === undefined ? {} : { role: parseRole(values.role) }),
    ...(values.ttl === undefined ? {} : { ttlSeconds: parseTtl(values.ttl) }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
  };
}

function parseRole(value: string): Role {
  const role = ROLES.find((candidate) => candidate === value);
  if (!role) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return role;
}

function parseTtl(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError('--ttl must be a positive number of seconds');
  return Number(value);
}

async function main(): Promise<number> {
  try {
    const claims = parseTokenArgs(process.argv.slice(2));
    const key = await loadOrCreateDevKey(resolve(process.env.DATA_DIR ?? '.data'));
    process.stdout.write(`${await signDevToken(key, claims)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`token: ${message}\n${USAGE}\n`);
    return 2;
  }
}

process.exitCode = await main();
