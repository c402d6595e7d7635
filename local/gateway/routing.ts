/** Routing: the route table compiled to segments, literal before `{param}`; the request target split. */
import type { RouteDefinition } from '../../contract/routes';

/** What the pipeline knows of a request before routing it. */
export interface RequestInfo {
  readonly requestId: string;
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
}

type Segment = { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'param'; readonly name: string };

export interface CompiledRoute {
  readonly definition: RouteDefinition;
  readonly routeKey: string;
  readonly segments: readonly Segment[];
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: CompiledRoute; readonly pathParameters?: Record<string, string> }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'bad_parameter'; readonly name: string };

export function compileRoutes(routes: readonly RouteDefinition[]): CompiledRoute[] {
  const compiled = routes.map((definition) => ({
    definition,
    routeKey: `${definition.method} ${definition.path}`,
    segments: parseTemplate(definition.path),
  }));
  const keys = new Set<string>();
  for (const { routeKey } of compiled) {
    if (keys.has(routeKey)) throw new Error(`duplicate route ${routeKey}`);
    keys.add(routeKey);
  }
  return compiled.sort((a, b) => compareSpecificity(a.segments, b.segments));
}

function parseTemplate(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path ${path} must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((part) => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part)?.[1];
      return param === undefined ? { kind: 'literal', value: part } : { kind: 'param', name: param };
    });
}

/** Literal segments sort before params at the first difference, so `/a/list` wins over `/a/{id}`. */
function compareSpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const rank = (s: Segment | undefined) => (s?.kind === 'literal' ? 0 : 1);
    const difference = rank(a[i]) - rank(b[i]);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function matchRoute(routes: readonly CompiledRoute[], method: string, rawPath: string): RouteMatch {
  const requestSegments = rawPath.slice(1).split('/');
  const candidates = routes.filter((route) => segmentsMatch(route.segments, requestSegments));
  if (candidates.length === 0) return { kind: 'not_found' };
  const route = candidates.find((candidate) => candidate.definition.method === method);
  if (!route) {
    const allow = [...new Set(candidates.map((candidate) => candidate.definition.method))].sort();
    return { kind: 'method_not_allowed', allow };
  }
  return extractPathParameters(route, requestSegments);
}

function segmentsMatch(template: readonly Segment[], actual: readonly string[]): boolean {
  if (template.length !== actual.length) return false;
  return template.every((segment, i) => {
    const part = actual[i] ?? '';
    return segment.kind === 'literal' ? segment.value === part : part.length > 0;
  });
}

function extractPathParameters(route: CompiledRoute, requestSegments: readonly string[]): RouteMatch {
  const pathParameters: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    if (segment.kind !== 'param') continue;
    try {
      pathParameters[segment.name] = decodeURIComponent(requestSegments[i] ?? '');
    } catch {
      return { kind: 'bad_parameter', name: segment.name };
    }
  }
  const hasParameters = Object.keys(pathParameters).length > 0;
  return { kind: 'found', route, ...(hasParameters ? { pathParameters } : {}) };
}

/** Origin-form `/path?query`; absolute-form (proxy style) is accepted too. */
export function splitRequestTarget(url: string | undefined): { rawPath: string; rawQueryString: string } | undefined {
  if (url === undefined) return undefined;
  if (url.startsWith('/')) {
    const queryStart = url.indexOf('?');
    return queryStart < 0
      ? { rawPath: url, rawQueryString: '' }
      : { rawPath: url.slice(0, queryStart), rawQueryString: url.slice(queryStart + 1) };
  }
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return { rawPath: parsed.pathname, rawQueryString: parsed.search.slice(1) };
}
