/**
 * The catalog as clients, deploys and workflows see it: the built-in models (versioned in
 * contract/data/catalog.json) with the admins' changes from DynamoDB laid over them. A retired
 * model is not offered to new deploys, but its definition stays readable, so the deployments
 * already running it keep scaling, reporting and deleting normally.
 */
import { CATALOG, findCatalogModel, type CatalogModel } from '../../contract/catalog';
import {
  mergeCatalog,
  mergeCatalogEntries,
  newCatalogModel,
  updatedCatalogModel,
  type AddCatalogModelRequest,
  type CatalogEntry,
  type ListedModel,
  type UpdateCatalogModelRequest,
} from '../domain/catalog-admin';
import type { DeploymentRecord } from '../domain/deployment';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { isCatalogWriteConflict, type Ports } from '../ports';

type CatalogPorts = Pick<Ports, 'catalog'>;

interface Resolved {
  model: CatalogModel;
  retired: boolean;
  /** The stored admin entry, if there is one (none: the built-in model as shipped). */
  entry?: CatalogEntry;
}

const resolve = async ({ catalog }: CatalogPorts, id: string): Promise<Resolved | undefined> => {
  const entry = await catalog.get(id);
  if (entry) return { model: entry.model, retired: entry.retired_at !== undefined, entry };
  const builtIn = findCatalogModel(id);
  return builtIn ? { model: builtIn, retired: false } : undefined;
};

/** The model a deployment runs, retired or not (workflows, ETA): undefined only if it never existed. */
export const catalogModelOf = async (ports: CatalogPorts, id: string): Promise<CatalogModel | undefined> => (await resolve(ports, id))?.model;

/**
 * The catalog model of a deployment, retired or not; undefined for a custom model (its
 * `catalog_id` is `hf:<repository>`, never a catalog id), which is not looked up.
 */
export const deploymentModelOf = async (ports: CatalogPorts, record: Pick<DeploymentRecord, 'catalog_id' | 'custom'>): Promise<CatalogModel | undefined> =>
  record.custom ? undefined : catalogModelOf(ports, record.catalog_id);

/** The model a new deploy may use: a retired one is a 400 naming catalog_id; unknown ones are left to resolveDeploymentSpec. */
export const deployableCatalogModel = async (ports: CatalogPorts, id: string): Promise<CatalogModel | undefined> => {
  const found = await resolve(ports, id);
  if (found?.retired) {
    throw new ValidationError(
      `catalog_id '${id}' has been retired from the catalog and cannot be deployed any more (existing deployments keep running); see GET /api/v1beta1/aimodels-catalog`,
      'catalog_id',
    );
  }
  return found?.model;
};

export const listCatalog = async ({ catalog }: CatalogPorts): Promise<CatalogModel[]> => mergeCatalog(CATALOG, await catalog.list());

/** The catalog with retired models too (`retired_at` set), for admins. */
export const listCatalogWithRetired = async ({ catalog }: CatalogPorts): Promise<ListedModel[]> => mergeCatalogEntries(CATALOG, await catalog.list(), true);

const conflictOnRace = (id: string) => (error: unknown) => {
  if (isCatalogWriteConflict(error)) throw new ConflictError(`catalog model '${id}' was changed by someone else meanwhile; read it again and retry`);
  throw error;
};

const entryOf = (model: CatalogModel, previous: Resolved | undefined, by: string, now: Date, retired_at?: string): CatalogEntry => ({
  model,
  origin: findCatalogModel(model.id) ? 'builtin' : 'admin',
  ...(retired_at ? { retired_at } : {}),
  version: (previous?.entry?.version ?? 0) + 1,
  updated_at: now.toISOString(),
  updated_by: by,
});

/** Adds a model; an id already offered is a 409, a retired one is offered again with the new definition. */
export const addCatalogModel = async (ports: CatalogPorts, request: AddCatalogModelRequest, by: string, now: Date): Promise<CatalogModel> => {
  const model = newCatalogModel(request);
  const current = await resolve(ports, model.id);
  if (current && !current.retired) {
    throw new ConflictError(`catalog model '${model.id}' already exists; change it with PUT /api/v1beta1/aimodels-catalog/${model.id}`);
  }
  await ports.catalog.put(entryOf(model, current, by, now), current?.entry ? current.entry.version : 'absent').catch(conflictOnRace(model.id));
  return model;
};

const live = async (ports: CatalogPorts, id: string): Promise<Resolved> => {
  const current = await resolve(ports, id);
  if (!current) throw new NotFoundError(`catalog model '${id}' was not found`);
  if (current.retired) throw new ConflictError(`catalog model '${id}' is retired; add it again with POST /api/v1beta1/aimodels-catalog`);
  return current;
};

/** Partial update (fields given replace the stored ones); a built-in model gets an override. */
export const updateCatalogModel = async (ports: CatalogPorts, id: string, patch: UpdateCatalogModelRequest, by: string, now: Date): Promise<CatalogModel> => {
  const current = await live(ports, id);
  const model = updatedCatalogModel(current.model, patch);
  await ports.catalog.put(entryOf(model, current, by, now), current.entry ? current.entry.version : 'absent').catch(conflictOnRace(id));
  return model;
};

/** Retires a model (idempotent): no new deploys; the definition stays for the deployments that run it. */
export const retireCatalogModel = async (ports: CatalogPorts, id: string, by: string, now: Date): Promise<void> => {
  const current = await resolve(ports, id);
  if (!current) throw new NotFoundError(`catalog model '${id}' was not found`);
  if (current.retired) return;
  await ports.catalog
    .put(entryOf(current.model, current, by, now, now.toISOString()), current.entry ? current.entry.version : 'absent')
    .catch(conflictOnRace(id));
};
