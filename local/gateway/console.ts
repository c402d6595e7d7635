/**
 * The web console, served by the local API Gateway beside the API (no JWT for the assets: the
 * app signs in, then calls the API with a bearer token like any client):
 *   GET /                      the app's index.html
 *   GET /console/app.js|.css   the bundle, built in memory by esbuild on the first request
 *   GET /console/config.json   where the API is and how to sign in (here: the local form)
 *   POST /console/local/token  LOCAL CLOUD ONLY: signs a dev token for the org/project/role
 *                              asked, with the dev key. It hands out any tenant, so it answers
 *                              loopback clients only and exists nowhere in AWS (there the app
 *                              signs in through Cognito: infra/constructs/console.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { buildConsole, type ConsoleFile } from '../../console/build';
import { readBody } from '../http/body';
import { ROLES, signDevToken, type DevKey } from '../jwt';
import { sendError, sendResponse } from './responses';

export const CONSOLE_TOKEN_PATH = '/console/local/token';
const TOKEN_TTL_SECONDS = 12 * 60 * 60;
const MAX_TOKEN_REQUEST_BYTES = 4096;

const tokenRequestSchema = z.object({
  org_id: z.string({ error: 'org_id is required' }).trim().min(1, { error: 'org_id is required' }).max(64, { error: 'org_id is too long' }).regex(/^\S+$/, { error: 'org_id must not contain spaces' }),
  project_ids: z
    .string({ error: 'project_ids is required: one or more project ids, comma separated, or *' })
    .trim()
    .min(1, { error: 'project_ids is required: one or more project ids, comma separated, or *' })
    .max(2048, { error: 'project_ids is too long' }),
  role: z.enum(ROLES as readonly ['admin', 'editor', 'viewer'], { error: `role must be one of ${ROLES.join(', ')}` }).default('editor'),
});

export interface ConsoleSite {
  /** Answers the request if it is the console's; false leaves it to the API routes. */
  handle(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<boolean>;
}

export const createConsoleSite = (key: DevKey): ConsoleSite => {
  let files: Promise<Map<string, ConsoleFile>> | undefined;
  const load = () =>
    (files ??= buildConsole().then(
      (built) => new Map(built.map((file) => [`/${file.path === 'index.html' ? '' : file.path}`, file])),
      (error: unknown) => {
        files = undefined; // a failed build is retried on the next request
        throw error;
      },
    ));
  const config = JSON.stringify({ apiUrl: '', auth: { mode: 'local', tokenUrl: CONSOLE_TOKEN_PATH } });

  return {
    async handle(req, res, method, path) {
      if (path !== '/' && !path.startsWith('/console/')) return false;
      if (path === CONSOLE_TOKEN_PATH) {
        if (method !== 'POST') sendError(req, res, 405, 'method_not_allowed', `${method} is not allowed on ${path}; allowed: POST`, { allow: 'POST' });
        else await mintToken(key, req, res);
        return true;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(req, res, 405, 'method_not_allowed', `${method} is not allowed on ${path}; allowed: GET, HEAD`, { allow: 'GET, HEAD' });
        return true;
      }
      if (path === '/console/config.json') {
        send(req, res, 'application/json', Buffer.from(config));
        return true;
      }
      const file = (await load()).get(path);
      if (!file) sendError(req, res, 404, 'not_found', `no console file ${path}`);
      else send(req, res, file.contentType, file.body);
      return true;
    },
  };
};

// No caching: the file names carry no content hash, and a rebuilt console must show at once.
const send = (req: IncomingMessage, res: ServerResponse, contentType: string, body: Uint8Array) =>
  sendResponse(req, res, {
    statusCode: 200,
    headers: { 'content-type': contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
    body: req.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(body),
  });

const isLoopback = (address: string | undefined) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

async function mintToken(key: DevKey, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    return sendError(req, res, 403, 'forbidden', 'the local sign-in answers clients on this machine only');
  }
  const body = await readBody(req, MAX_TOKEN_REQUEST_BYTES);
  if (body.kind === 'aborted') return;
  if (body.kind === 'too_large') return sendError(req, res, 413, 'payload_too_large', `the request body exceeds ${MAX_TOKEN_REQUEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(body.bytes.toString('utf8'));
  } catch {
    return sendError(req, res, 400, 'invalid_request', 'the body must be JSON: {org_id, project_ids, role}');
  }
  const parsed = tokenRequestSchema.safeParse(json);
  if (!parsed.success) return sendError(req, res, 400, 'invalid_request', parsed.error.issues.map((i) => i.message).join('; '));
  try {
    const token = await signDevToken(key, {
      org_id: parsed.data.org_id,
      project_ids: parsed.data.project_ids.split(',').map((p) => p.trim()),
      role: parsed.data.role,
      ttlSeconds: TOKEN_TTL_SECONDS,
      sub: 'console-local',
    });
    sendResponse(req, res, { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: Buffer.from(JSON.stringify({ token })) });
  } catch (error) {
    sendError(req, res, 400, 'invalid_request', error instanceof Error ? error.message : String(error));
  }
}
