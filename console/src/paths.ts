/**
 * The API paths the console calls, as method + template pairs in contract/routes.ts's spelling
 * (test/unit/console-routes.test.ts checks each against ROUTES, so none can drift), and the
 * functions that fill them in.
 */
export const API_BASE_PATH = '/api/v1beta1';
const deployments = `${API_BASE_PATH}/orgs/{org_id}/projects/{project_id}/aimodels`;
const keys = `${API_BASE_PATH}/orgs/{org_id}/projects/{project_id}/inference-keys`;

export const CONSOLE_ROUTES = {
  listCatalog: ['GET', `${API_BASE_PATH}/aimodels-catalog`],
  addCatalogModel: ['POST', `${API_BASE_PATH}/aimodels-catalog`],
  updateCatalogModel: ['PUT', `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`],
  retireCatalogModel: ['DELETE', `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`],
  listInventory: ['GET', `${API_BASE_PATH}/inventory`],
  listDeployments: ['GET', deployments],
  createDeployment: ['POST', deployments],
  getDeployment: ['GET', `${deployments}/{model_id}`],
  deleteDeployment: ['DELETE', `${deployments}/{model_id}`],
  scaleDeployment: ['PUT', `${deployments}/{model_id}/scale`],
  setAutoscaling: ['PUT', `${deployments}/{model_id}/autoscaling`],
  listEvents: ['GET', `${deployments}/{model_id}/events`],
  getLogs: ['GET', `${deployments}/{model_id}/logs`],
  getSchedule: ['GET', `${deployments}/{model_id}/schedule`],
  putSchedule: ['PUT', `${deployments}/{model_id}/schedule`],
  getUsage: ['GET', `${deployments}/{model_id}/usage`],
} as const;

/** Issue 15's inference keys. */
export const KEY_ROUTES = {
  listKeys: ['GET', keys],
  createKey: ['POST', keys],
  revokeKey: ['DELETE', `${keys}/{key_id}`],
  keyUsage: ['GET', `${keys}/{key_id}/usage`],
} as const;

export type RouteName = keyof typeof CONSOLE_ROUTES | keyof typeof KEY_ROUTES;
const ALL: Record<RouteName, readonly [string, string]> = { ...CONSOLE_ROUTES, ...KEY_ROUTES };

/** `{method, path}` of a route with its parameters filled in (percent-encoded). */
export const route = (name: RouteName, params: Record<string, string> = {}): { method: string; path: string } => {
  const [method, template] = ALL[name];
  const path = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name}: missing ${key}`);
    return encodeURIComponent(value);
  });
  return { method, path };
};
