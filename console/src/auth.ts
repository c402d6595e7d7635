/**
 * Sign-in. In AWS: the stack's Cognito hosted UI, authorization code with PKCE (S256), the ID
 * token as bearer (it carries the tenant attributes the handlers read). In the local cloud: a
 * form that asks the local cloud's dev endpoint for a token (served only by `npm start`), or a
 * pasted token from `npm run token`.
 */
import type { Session } from './api';

export type ConsoleConfig =
  | { apiUrl: string; auth: { mode: 'local'; tokenUrl: string } }
  /** A stack whose tokens come from an external OIDC issuer: the user pastes one. */
  | { apiUrl: string; auth: { mode: 'token' } }
  | { apiUrl: string; auth: { mode: 'cognito'; domain: string; clientId: string; redirectUri: string; scopes: string[] } };

const SESSION_KEY = 'gpu-console.session';
const PKCE_KEY = 'gpu-console.pkce';

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The claims of a JWT, unverified: the API verifies; the console only reads who it is for. */
export const sessionFromToken = (token: string, source: Session['source']): Session => {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('token: not a JWT (three dot-separated parts)');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  } catch {
    throw new Error('token: its payload is not JSON');
  }
  const claim = (name: string) => {
    const value = claims[name] ?? claims[`custom:${name}`];
    return typeof value === 'string' ? value : undefined;
  };
  const org = claim('org_id');
  if (!org) throw new Error('token: no org_id claim');
  const projects = (claim('project_ids') ?? '').split(/[\s,]+/).filter((p) => p !== '');
  if (projects.length === 0) throw new Error('token: no project_ids claim');
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  if (exp * 1000 < Date.now()) throw new Error('token: expired');
  return { token, org_id: org, project_ids: projects, project_id: projects[0] === '*' ? 'default' : projects[0]!, role: claim('role') ?? 'editor', exp, source };
};

export const loadSession = (): Session | undefined => {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return undefined;
  const session = JSON.parse(raw) as Session;
  return session.exp * 1000 > Date.now() ? session : undefined;
};

export const saveSession = (session: Session | undefined): void => {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
};

/** Local cloud only: POST to its dev token endpoint (local/gateway/console.ts). */
export const localSignIn = async (tokenUrl: string, request: { org_id: string; project_ids: string; role: string }): Promise<Session> => {
  const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? `sign-in failed (HTTP ${response.status})`);
  return sessionFromToken(body.token, 'local');
};

/** Cognito hosted UI: redirect with a fresh PKCE verifier and state kept in sessionStorage. */
export const startCognitoSignIn = async (auth: Extract<ConsoleConfig['auth'], { mode: 'cognito' }>): Promise<void> => {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${auth.domain}/oauth2/authorize?${query}`);
};

/** Back from the hosted UI (`?code=…&state=…`): exchanges the code for tokens; undefined when this is no callback. */
export const completeCognitoSignIn = async (auth: Extract<ConsoleConfig['auth'], { mode: 'cognito' }>): Promise<Session | undefined> => {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return undefined;
  const stored = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', location.pathname + location.hash);
  if (!stored || stored.state !== params.get('state')) throw new Error('sign-in: the callback\'s state does not match; sign in again');
  const response = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: auth.clientId, code, redirect_uri: auth.redirectUri, code_verifier: stored.verifier }),
  });
  const tokens = (await response.json()) as { id_token?: string; error?: string };
  if (!response.ok || !tokens.id_token) throw new Error(`sign-in: the token exchange failed (${tokens.error ?? response.status})`);
  return sessionFromToken(tokens.id_token, 'cognito');
};

export const cognitoSignOutUrl = (auth: Extract<ConsoleConfig['auth'], { mode: 'cognito' }>): string =>
  `${auth.domain}/logout?${new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri })}`;
