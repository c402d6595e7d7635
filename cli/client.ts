/**
 * The HTTP client of gpuctl: one method per API route it uses. A refusal becomes an ApiError
 * carrying the API's `{code, message}`; a 5xx or no answer at all an UnavailableError.
 */
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
  token: string;
  org?: string;
  project?: string;
}

export type Json = any;

export class Client {
  constructor(private readonly scope: Scope) {}

  /** …/orgs/{org}/projects/{project}/aimodels */
  deploymentsPath(): string {
    const { org, project } = this.scope;
    if (!org || !project) throw new UsageError('no org or project: pass --org and --project, or log in with a token that names exactly one project');
    return `/api/v1beta1/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}/aimodels`;
  }

  async request(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {}): Promise<{ status: number; body: Json }> {
    const url = new URL(`${this.scope.apiUrl.replace(/\/+$/, '')}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${this.scope.token}`, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new UnavailableError(`cannot reach the API at ${this.scope.apiUrl}: ${cause}`);
    }
    const text = await response.text();
    let body: Json;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (response.status >= 500) {
      throw new UnavailableError(`the API answered ${response.status}${body?.message ? `: ${body.message}` : ''}`);
    }
    if (response.status >= 400) {
      throw new ApiError(response.status, body?.code ?? `http_${response.status}`, body?.message ?? `the API answered ${response.status}`);
    }
    return { status: response.status, body };
  }
}

export class UsageError extends Error {}
