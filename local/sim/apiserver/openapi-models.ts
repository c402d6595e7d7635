/**
 * The schema source for /openapi/v2 and /openapi/v3: the generated model classes of
 * @kubernetes/client-node (their attributeTypeMap names every field and its type) and the
 * field documentation in their .d.ts files. Nothing here is written per field by hand.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { ResourceType } from './resources.js';

export interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

const MODELS = k8s as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>;

export const attributesOf = (model: string): Attribute[] | undefined => MODELS[model]?.attributeTypeMap;

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** client-node's class for a kind: V1Deployment, CoreV1Event, DiscoveryV1EndpointSlice. */
export const modelOf = (group: string, version: string, kind: string): string | undefined => {
  const v = capitalize(version);
  const groupPrefix = group === '' ? 'Core' : capitalize(group.split('.')[0] ?? '');
  return [`${v}${kind}`, `${groupPrefix}${v}${kind}`].find((name) => attributesOf(name) !== undefined);
};

export const modelForResource = (type: ResourceType): string | undefined => modelOf(type.group, type.version, type.kind);

export interface ModelDocs {
  description: string;
  fields: Record<string, string>;
  required: string[];
}

const modelsDir = (() => {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen', 'models');
  } catch {
    return undefined;
  }
})();

const clean = (comment: string): string =>
  comment
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .filter((line) => line.length > 0)
    .join(' ');

const docsCache = new Map<string, ModelDocs>();

/** The JSDoc of a model and its fields, and which fields are not optional. */
export const docsOf = (model: string): ModelDocs => {
  const cached = docsCache.get(model);
  if (cached) return cached;
  let text = '';
  try {
    if (modelsDir) text = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
  } catch {
    text = '';
  }
  const classDoc = /\/\*\*([\s\S]*?)\*\/\s*export declare class/.exec(text);
  const fields: Record<string, string> = {};
  const required: string[] = [];
  for (const match of text.matchAll(/(?:\/\*\*([\s\S]*?)\*\/\s*)?'([^']+)'(\?)?:/g)) {
    const name = match[2] ?? '';
    if (match[1]) fields[name] = clean(match[1]);
    if (match[3] !== '?') required.push(name);
  }
  const docs = { description: classDoc?.[1] ? clean(classDoc[1]) : '', fields, required };
  docsCache.set(model, docs);
  return docs;
};

/** What a client-node type string denotes. */
export type TypeShape =
  | { kind: 'array'; item: TypeShape }
  | { kind: 'map'; value: TypeShape }
  | { kind: 'model'; name: string }
  | { kind: 'primitive'; type: 'string' | 'integer' | 'number' | 'boolean'; format?: string }
  | { kind: 'int-or-string' }
  | { kind: 'any' };

export const shapeOf = (type: string, format = ''): TypeShape => {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { kind: 'array', item: shapeOf(array[1] ?? 'any', format) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', value: shapeOf(map[1] ?? 'any', format) };
  switch (type) {
    case 'string':
      return { kind: 'primitive', type: 'string', ...(format ? { format } : {}) };
    case 'number':
      return format === 'double' ? { kind: 'primitive', type: 'number', format } : { kind: 'primitive', type: 'integer', ...(format ? { format } : {}) };
    case 'boolean':
      return { kind: 'primitive', type: 'boolean' };
    case 'Date':
      return { kind: 'primitive', type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { kind: 'int-or-string' };
    case 'any':
    case 'object':
      return { kind: 'any' };
    default:
      return attributesOf(type) ? { kind: 'model', name: type } : { kind: 'any' };
  }
};

const fitsPrimitive = (shape: Extract<TypeShape, { kind: 'primitive' }>, value: unknown): boolean => {
  if (value === null) return true;
  // Quantities are strings in the models but numbers are legal in manifests (`nvidia.com/gpu: 1`).
  if (shape.type === 'string') return typeof value === 'string' || typeof value === 'number';
  if (shape.type === 'integer' || shape.type === 'number') return typeof value === 'number';
  return typeof value === 'boolean';
};

export interface DecodeProblems {
  unknown: string[];
  /** Fields whose JSON type cannot decode into the Go type. */
  mistyped: { path: string; expected: string; got: string }[];
}

const jsonType = (value: unknown): string => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

/**
 * What a strict decode of `value` as `model` would reject: unknown fields (by their JSON path,
 * `spec.template.spec.containers[0].foo`) and values of the wrong JSON type.
 */
export const decodeProblems = (model: string, value: unknown): DecodeProblems => {
  const problems: DecodeProblems = { unknown: [], mistyped: [] };
  const walk = (shape: TypeShape, v: unknown, path: string): void => {
    if (v === null || v === undefined) return;
    switch (shape.kind) {
      case 'any':
      case 'int-or-string':
        return;
      case 'primitive':
        if (!fitsPrimitive(shape, v)) problems.mistyped.push({ path, expected: shape.type, got: jsonType(v) });
        return;
      case 'array':
        if (!Array.isArray(v)) problems.mistyped.push({ path, expected: 'array', got: jsonType(v) });
        else v.forEach((item, i) => walk(shape.item, item, `${path}[${i}]`));
        return;
      case 'map':
        if (typeof v !== 'object' || Array.isArray(v)) problems.mistyped.push({ path, expected: 'object', got: jsonType(v) });
        else for (const [key, item] of Object.entries(v)) walk(shape.value, item, `${path}[${key}]`);
        return;
      case 'model': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          problems.mistyped.push({ path, expected: 'object', got: jsonType(v) });
          return;
        }
        const attrs = new Map((attributesOf(shape.name) ?? []).map((a) => [a.baseName, a]));
        for (const [key, item] of Object.entries(v)) {
          const at = path ? `${path}.${key}` : key;
          const attr = attrs.get(key);
          if (!attr) problems.unknown.push(at);
          else walk(shapeOf(attr.type, attr.format), item, at);
        }
      }
    }
  };
  walk({ kind: 'model', name: model }, value, '');
  return problems;
};
