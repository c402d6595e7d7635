/** Calls to the control plane API with the session's bearer token; errors keep the API's `{code, message}`. */
import { route, type RouteName } from './paths';

export interface Session {
  token: string;
  org_id: string;
  project_id: string;
  /** Every project the token covers (`*`: any), for the project switcher. */
  project_ids: string[];
  role: string;
  /** Seconds since the epoch (the token's `exp`). */
  exp: number;
  source: 'local' | 'pasted' | 'cognito';
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  call<T>(name: RouteName, options?: { params?: Record<string, string>; query?: Record<string, string | number | boolean | undefined>; body?: unknown }): Promise<T>;
}

export const createApiClient = (apiBase: string, session: Session, onUnauthorized: () => void): ApiClient => {
  // The stage URL ends with "/", the route paths start with one.
  const apiUrl = apiBase.replace(/\/+$/, '');
  return {
  async call<T>(name: RouteName, options: { params?: Record<string, string>; query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {}) {
    const { method, path } = route(name, { org_id: session.org_id, project_id: session.project_id, ...options.params });
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, String(value));
    const url = `${apiUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${session.token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'internal_error', `the API answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = body as { code?: string; message?: string } | undefined;
      if (response.status === 401) onUnauthorized();
      throw new ApiError(response.status, error?.code ?? 'internal_error', error?.message ?? `HTTP ${response.status}`);
    }
    return body as T;
  },
  };
};

/**
 * The form field an API message names, if any: messages name the offending field first
 * ("name must be …", "config.max_model_len must be …", "replicas must be at most 16").
 * Longest names first, so `config.max_model_len` wins over `max_model_len`.
 */
export const fieldOfMessage = (message: string, fields: readonly string[]): string | undefined => {
  const sorted = [...fields].sort((a, b) => b.length - a.length);
  for (const field of sorted) {
    const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(^|[\\s(\`'"])${escaped}($|[\\s:,.)\`'"])`).test(message)) return field;
  }
  return undefined;
};

/** Splits an error into the field it names (shown next to that input) or a form-level message. */
export const errorFor = (error: unknown, fields: readonly string[]): { field?: string; message: string } => {
  const message = error instanceof Error ? error.message : String(error);
  return { field: error instanceof ApiError ? fieldOfMessage(message, fields) : undefined, message };
};
