/** The admins' catalog entries on DynamoDB (adapters/catalog-repository.ts). */
import { getCatalogEntry, listCatalogEntries, putCatalogEntry } from '../adapters/catalog-repository';
import type { CatalogStore } from '../ports';

export const catalogStore: CatalogStore = { get: getCatalogEntry, list: listCatalogEntries, put: putCatalogEntry };
