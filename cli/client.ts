/**
 * The HTTP client of gpuctl: `call` sends one route of cli/api.ts (path from the route table,
 * typed query, body and answer). A refusal becomes an ApiError carrying the API's
 * `{code, message}`; a 5xx or no answer at all an UnavailableError. The API's 503
 * `service_unavailable` (nothing was written) is sent again after its Retry-After, 4 times in all.
 */
import { routeOf, type Api, type RouteName } from './api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export class UnavailableError extends Error {}

export interface Scope {
  apiUrl: string;
  /** Undefined for the public routes (the API's own description). */
  token?: string;
  org?: string;
  project?: string;
}

/** A string field of an answer that may be anything (an error's `code` or `message`). */
const textField = (body: unknown, name: string): string | undefined => {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** How many times a request that the API answered 503 service_unavailable is sent in all. */
export const UNAVAILABLE_ATTEMPTS = 4;
const MAX_RETRY_AFTER_SECONDS = 10;

/** The seconds to wait before sending the request again, when the answer is the API's retryable 503. */
const retryAfterSeconds = (response: Response, body: unknown): number | undefined => {
  if (response.status !== 503 || textField(body, 'code') !== 'service_unavailable') return undefined;
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, MAX_RETRY_AFTER_SECONDS) : 1;
};

export class Client {
  constructor(private readonly scope: Scope) {}

  /**
   * Calls a route; `params` fills its path (the deployment's `model_id`), org and project come
   * from the scope when the path has them.
   */
  async call<N extends RouteName>(name: N, params: Record<string, string> = {}, options: { query?: Api[N]['query']; body?: Api[N]['body'] } = {}): Promise<Api[N]['answer']> {
    const { method, path } = routeOf(name, (param) => params[param] ?? this.scopeParam(param));
    // The API's answer is trusted as the contract types it (the integration tests check the API against it).
    return (await this.request(method, path, options)) as Api[N]['answer'];
  }

  /** `org_id` and `project_id` of a project's path, from the scope. */
  private scopeParam(param: string): string | undefined {
    if (param !== 'org_id' && param !== 'project_id') return undefined;
    const { org, project } = this.scope;
    if (!org || !project) throw new UsageError('no org or project: pass --org and --project, or log in with a token that names exactly one project');
    return param === 'org_id' ? org : project;
  }

  private async request(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number | boolean | undefined> }): Promise<unknown> {
    const url = new URL(`${this.scope.apiUrl.replace(/\/+$/, '')}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.scope.token) headers.authorization = `Bearer ${this.scope.token}`;
    // A string body is a YAML document (POST …/yaml), sent as written; anything else is JSON.
    const yaml = typeof options.body === 'string';
    if (options.body !== undefined) headers['content-type'] = yaml ? 'application/yaml' : 'application/json';
    const payload = options.body === undefined ? undefined : yaml ? (options.body as string) : JSON.stringify(options.body);
    let response: Response;
    let body: unknown;
    for (let attempt = 1; ; attempt += 1) {
      try {
        response = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
      } catch (error) {
        const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
        throw new UnavailableError(`cannot reach the API at ${this.scope.apiUrl}: ${cause}`);
      }
      const text = await response.text();
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      // The API's own 503 says nothing was written (an AWS service stayed throttled): sending the
      // same request again after Retry-After is safe, whatever the method.
      const wait = retryAfterSeconds(response, body);
      if (wait === undefined || attempt >= UNAVAILABLE_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
    const message = textField(body, 'message');
    if (response.status >= 500) {
      throw new UnavailableError(`the API answered ${response.status}${message ? `: ${message}` : ''}`);
    }
    if (response.status >= 400) {
      throw new ApiError(response.status, textField(body, 'code') ?? `http_${response.status}`, message ?? `the API answered ${response.status}`);
    }
    return body;
  }
}

export class UsageError extends Error {}
