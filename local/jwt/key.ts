/** The dev key: one ES256 key pair under DATA_DIR, created once, and its public JWKS. */
import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import * as z from 'zod';

export const DEV_ISSUER = 'https://local.gpu-control-plane.dev/';
export const DEV_AUDIENCE = 'gpu-control-plane';
export const DEV_KEY_FILE = 'dev-jwt-key.json';

export const ALGORITHM = 'ES256';

export type Role = 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];

export interface DevKey {
  /** RFC 7638 thumbprint of the public key; every token carries it as `kid`. */
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

const ecCoordinate = z.string().regex(/^[A-Za-z0-9_-]+$/);
const publicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: ecCoordinate, y: ecCoordinate });
const keyFileSchema = z.object({
  alg: z.literal(ALGORITHM),
  privateJwk: publicJwkSchema.extend({ d: ecCoordinate }),
  publicJwk: publicJwkSchema,
});
type KeyFile = z.infer<typeof keyFileSchema>;

/**
 * Loads the dev key pair from `<dataDir>/dev-jwt-key.json`, creating it (mode 0600) on first
 * use. Safe when several processes start at once: each writes its own temp file and
 * hard-links it into place, which fails instead of clobbering when another process won; then
 * everyone reads the one file that landed.
 */
export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  const file = join(dataDir, DEV_KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return existing;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await publishWithoutClobbering(file, JSON.stringify(await generateKeyFile(), null, 2) + '\n');
  const created = await readKeyFile(file);
  if (!created) throw new Error(`dev JWT key ${file} vanished right after it was created`);
  return created;
}

async function generateKeyFile(): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = await exportJWK(publicKey);
  return keyFileSchema.parse({ alg: ALGORITHM, privateJwk, publicJwk });
}

async function publishWithoutClobbering(file: string, contents: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, contents, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if (!isErrnoCode(error, 'EEXIST')) throw error;
    // Another process created the key first; its file is the one everybody uses.
  } finally {
    await rm(temp, { force: true });
  }
}

async function readKeyFile(file: string): Promise<DevKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  await restrictPermissions(file);
  const parsed = keyFileSchema.safeParse(safeJsonParse(text));
  if (!parsed.success) {
    throw new Error(`dev JWT key ${file} is not a valid ES256 key file; delete it to create a new key`);
  }
  return importDevKey(parsed.data);
}

/** A private key readable by others is tightened back to 0600 rather than used as is. */
async function restrictPermissions(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) await chmod(file, 0o600);
}

async function importDevKey(keyFile: KeyFile): Promise<DevKey> {
  const privateKey = await importJWK(keyFile.privateJwk, ALGORITHM);
  const publicKey = await importJWK(keyFile.publicJwk, ALGORITHM);
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new Error('dev JWT key did not import as an asymmetric key');
  }
  const kid = await calculateJwkThumbprint(keyFile.publicJwk);
  const publicJwk: JWK = { ...keyFile.publicJwk, kid, alg: ALGORITHM, use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/** The JWKS document an issuer would publish for the dev key (what the authorizer fetches). */
export function devJwks(key: DevKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
