import { clone, isRecord } from './types.js';

/** Thrown when a patch document cannot be applied; the API layer turns it into a Status. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422,
  ) {
    super(message);
  }
}

/** RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isRecord(patch)) return clone(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
};

/** The patchMergeKey of the list-valued fields the simulator's objects use. */
export const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  conditions: 'type',
  ownerReferences: 'uid',
  addresses: 'type',
};

const mergeKeyFor = (field: string, items: unknown[]): string | undefined => {
  if (field === 'ports') return items.some((i) => isRecord(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
};

const isDirective = (key: string): boolean =>
  key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/') || key === '$retainKeys';

const strategicList = (field: string, target: unknown, patch: unknown[]): unknown[] => {
  const key = mergeKeyFor(field, [...patch, ...(Array.isArray(target) ? target : [])]);
  if (!key || !Array.isArray(target)) {
    return patch.filter((item) => !(isRecord(item) && item.$patch === 'delete')).map((item) => strategicMergePatch(undefined, item));
  }
  if (patch.some((item) => isRecord(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isRecord(item) && item.$patch === 'replace')).map((item) => clone(item));
  }
  const result = target.map((item) => clone(item));
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const index = result.findIndex((existing) => isRecord(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMergePatch(result[index], item);
    else result.push(strategicMergePatch(undefined, item));
  }
  return result;
};

/**
 * Strategic merge patch, as far as the simulator's objects need it: like a merge patch, but
 * lists with a known merge key (containers by name, volumeMounts by mountPath, ...) merge
 * element-wise, and `$patch: delete|replace` directives are honoured.
 */
export const strategicMergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isRecord(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || isDirective(key)) continue;
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = strategicList(key, result[key], value);
    else if (isRecord(value) && value.$patch === 'delete') delete result[key];
    else result[key] = strategicMergePatch(result[key], value);
  }
  return result;
};

interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const parsePointer = (pointer: string): string[] => {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`, 400);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
};

type Container = Record<string, unknown> | unknown[];

const resolveParent = (doc: unknown, tokens: string[], pointer: string): { parent: Container; key: string } => {
  let node: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw new PatchError(`doc is missing path: "${pointer}": missing value`, 422);
  }
  if (!Array.isArray(node) && !isRecord(node)) throw new PatchError(`doc is missing path: "${pointer}": missing value`, 422);
  return { parent: node, key: tokens[tokens.length - 1] ?? '' };
};

const getAt = (doc: unknown, pointer: string): unknown => {
  let node: unknown = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else return undefined;
  }
  return node;
};

const arrayIndex = (list: unknown[], key: string, forInsert: boolean, pointer: string): number => {
  if (forInsert && key === '-') return list.length;
  const index = Number(key);
  const max = forInsert ? list.length : list.length - 1;
  if (!/^\d+$/.test(key) || index > max) throw new PatchError(`Unable to access invalid index: ${key} (path ${pointer})`, 422);
  return index;
};

const addAt = (doc: unknown, pointer: string, value: unknown): unknown => {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, clone(value));
  else parent[key] = clone(value);
  return doc;
};

const removeAt = (doc: unknown, pointer: string): unknown => {
  const tokens = parsePointer(pointer);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, pointer), 1);
  else {
    if (!Object.hasOwn(parent, key)) throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`, 422);
    delete parent[key];
  }
  return doc;
};

const isOperation = (value: unknown): value is JsonPatchOperation =>
  isRecord(value) &&
  typeof value.path === 'string' &&
  ['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(String(value.op));

/** RFC 6902 JSON patch. */
export const jsonPatch = (document: unknown, operations: unknown): unknown => {
  if (!Array.isArray(operations)) {
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  }
  let doc = clone(document);
  for (const raw of operations) {
    if (!isOperation(raw)) throw new PatchError(`Unexpected kind of JSON patch operation: ${JSON.stringify(raw)}`, 400);
    const op = raw;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        if (getAt(doc, op.path) === undefined && op.path !== '') {
          throw new PatchError(`replace operation does not apply: doc is missing key: ${op.path}: missing value`, 422);
        }
        doc = op.path === '' ? clone(op.value) : addAt(removeAt(doc, op.path), op.path, op.value);
        break;
      case 'move': {
        const value = getAt(doc, op.from ?? '');
        if (value === undefined) throw new PatchError(`move operation does not apply: doc is missing from path: ${op.from ?? ''}`, 422);
        doc = addAt(removeAt(doc, op.from ?? ''), op.path, value);
        break;
      }
      case 'copy': {
        const value = getAt(doc, op.from ?? '');
        if (value === undefined) throw new PatchError(`copy operation does not apply: doc is missing from path: ${op.from ?? ''}`, 422);
        doc = addAt(doc, op.path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
          throw new PatchError(`testing value ${op.path} failed: test failed`, 422);
        }
        break;
    }
  }
  return doc;
};
