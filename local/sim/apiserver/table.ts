/** Content negotiation for `as=Table` and the meta.k8s.io Table objects the API server returns. */
import type { IncomingHttpHeaders } from 'node:http';
import { KubeError } from './status.js';
import { printerFor } from './table-printers.js';
import type { KubeObject } from './types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, as the client asked. */
  apiVersion: string;
  includeObject: IncludeObject;
  noHeaders: boolean;
}

const notAcceptable = (): KubeError =>
  new KubeError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    reason: 'NotAcceptable',
    code: 406,
  });

const acceptedTypes = (headers: IncomingHttpHeaders): Record<string, string>[] =>
  (headers.accept ?? '')
    .split(',')
    .map((entry) => {
      const [type = '', ...params] = entry.split(';').map((p) => p.trim());
      const parsed: Record<string, string> = { type: type.toLowerCase() };
      for (const param of params) {
        const [key = '', value = ''] = param.split('=');
        parsed[key.trim()] = value.trim();
      }
      return parsed;
    })
    .filter((a) => a.type !== '');

/**
 * The first acceptable entry of the Accept header wins, as in the API server's negotiation;
 * plain JSON (or any wildcard) means the object itself.
 */
export const tableRequest = (headers: IncomingHttpHeaders, params: URLSearchParams): TableRequest | undefined => {
  const entries = acceptedTypes(headers);
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    if (!['application/json', 'application/*', '*/*'].includes(entry.type ?? '')) continue;
    if (entry.as === undefined) return undefined;
    if (entry.as === 'Table' && entry.g === 'meta.k8s.io' && (entry.v === 'v1' || entry.v === 'v1beta1')) {
      const include = params.get('includeObject') ?? 'Metadata';
      if (!['None', 'Metadata', 'Object'].includes(include)) {
        throw new KubeError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`, reason: 'BadRequest', code: 400 });
      }
      return { apiVersion: `meta.k8s.io/${entry.v}`, includeObject: include as IncludeObject, noHeaders: false };
    }
  }
  if (entries.some((e) => e.type === 'application/yaml' || e.type === 'application/vnd.kubernetes.protobuf')) return undefined;
  throw notAcceptable();
};

const rowObject = (obj: KubeObject, include: IncludeObject): unknown => {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
};

/** A Table of `objects`; `listMeta` is the list's metadata (resourceVersion, continue). */
export const toTable = (
  plural: string,
  objects: KubeObject[],
  request: TableRequest,
  listMeta: Record<string, unknown>,
  now: number,
): Record<string, unknown> => {
  const printer = printerFor(plural);
  return {
    kind: 'Table',
    apiVersion: request.apiVersion,
    metadata: listMeta,
    ...(request.noHeaders ? {} : { columnDefinitions: printer.columns.map((c) => ({ priority: 0, format: '', ...c })) }),
    rows: objects.map((obj) => {
      const object = rowObject(obj, request.includeObject);
      return { cells: printer.cells(obj, now), ...(object !== undefined ? { object } : {}) };
    }),
  };
};
