/**
 * Which deployment a request names (docs/inference.md, "Routing"):
 *   path:  /orgs/{org}/projects/{project}/aimodels/{deployment id}/v1/...   (endpoint_url + the OpenAI path)
 *   host:  <deployment name>.<project>.<org>.<host suffix>                   (when a host suffix is configured)
 * The URL names the tenant, so the gateway can tell a key of another project (403) from an
 * unknown deployment of the key's own project (404) before it reads anything.
 */
import type { Tenant } from '../functions/domain/deployment';

export type RouteTarget = Tenant & ({ deploymentId: string } | { deploymentName: string }) & {
  /** The model server's path: `/v1/...` with the query string. */
  upstreamPath: string;
};

const SEGMENT = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';
const PATH_ROUTE = new RegExp(`^/orgs/(${SEGMENT})/projects/(${SEGMENT})/aimodels/(${SEGMENT})(/v1(?:/.*)?)$`);
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const routeRequest = (rawUrl: string, host: string | undefined, hostSuffix: string | undefined): RouteTarget | undefined => {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawUrl.slice(queryAt);
  const match = PATH_ROUTE.exec(path);
  if (match) {
    const [, org, project, id, rest] = match as unknown as [string, string, string, string, string];
    return { org_id: org, project_id: project, deploymentId: id, upstreamPath: `${rest}${query}` };
  }
  if (!hostSuffix || !host || !path.startsWith('/v1')) return undefined;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const suffix = `.${hostSuffix.replace(/^\./, '').toLowerCase()}`;
  if (!hostname.endsWith(suffix)) return undefined;
  const labels = hostname.slice(0, -suffix.length).split('.');
  if (labels.length !== 3 || !labels.every((l) => DNS_LABEL.test(l))) return undefined;
  const [name, project, org] = labels as [string, string, string];
  return { org_id: org, project_id: project, deploymentName: name, upstreamPath: `${path}${query}` };
};

/** The model server's base URL from a template: `{service}` and `{namespace}` filled in. */
export const upstreamBase = (template: string, service: string, namespace: string): URL =>
  new URL(template.replaceAll('{service}', service).replaceAll('{namespace}', namespace));
