/**
 * /openapi/v2 in protobuf, as kube-apiserver serves it: kubectl asks for nothing else when it
 * validates on the client, which it does for a `kind: List` file (`kubectl apply -f list.json`),
 * since no PATCH operation of the v3 documents carries the List kind. The message is gnostic's
 * openapi.v2.Document (google/gnostic openapiv2/OpenAPIv2.proto), without the k8s envelope; a
 * vendor extension's value is an Any whose `yaml` holds it (JSON is YAML).
 *
 * It encodes the same document the JSON answer carries. A schema or operation key without a
 * field here throws, so the unit test that encodes the served document catches one added later.
 */
import { bytesField, varintField } from './protobuf.js';

type Json = Record<string, unknown>;

/** What clients ask for. It is no valid MIME type ('@'), so the answer is labelled with the dotted form, as kube-openapi does. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The answer's Content-Type, and what older clients ask for. */
export const OPENAPI_V2_PROTOBUF_LEGACY = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (parts: Buffer[]): Buffer => Buffer.concat(parts);
const unsupported = (where: string, key: string): Error => new Error(`openapi v2 protobuf: no ${where} field for "${key}"`);

/** Any { yaml = 2 } */
const anyOf = (value: unknown): Buffer => bytesField(2, JSON.stringify(value));
/** NamedAny { name = 1, value = 2 }: a vendor extension. */
const namedAny = (name: string, value: unknown): Buffer => join([bytesField(1, name), bytesField(2, anyOf(value))]);

/** openapi.v2.Schema */
const schema = (s: Json): Buffer =>
  join(
    Object.entries(s).map(([key, value]): Buffer => {
      if (key.startsWith('x-')) return bytesField(31, namedAny(key, value));
      switch (key) {
        case '$ref':
          return bytesField(1, String(value));
        case 'format':
          return bytesField(2, String(value));
        case 'title':
          return bytesField(3, String(value));
        case 'description':
          return bytesField(4, String(value));
        case 'default':
          return bytesField(5, anyOf(value));
        case 'uniqueItems':
          return varintField(16, Boolean(value));
        case 'required':
          return join((value as string[]).map((name) => bytesField(19, name)));
        case 'enum':
          return join((value as unknown[]).map((v) => bytesField(20, anyOf(v))));
        case 'additionalProperties':
          // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
          return bytesField(21, typeof value === 'boolean' ? varintField(2, value) : bytesField(1, schema(value as Json)));
        case 'type':
          return bytesField(22, join([value].flat().map((t) => bytesField(1, String(t))))); // TypeItem { repeated string value = 1 }
        case 'items':
          return bytesField(23, join([value].flat().map((item) => bytesField(1, schema(item as Json))))); // ItemsItem { repeated Schema schema = 1 }
        case 'allOf':
          return join((value as Json[]).map((sub) => bytesField(24, schema(sub))));
        case 'properties':
          // Properties { repeated NamedSchema additional_properties = 1 }; NamedSchema { name = 1, value = 2 }
          return bytesField(25, join(Object.entries(value as Record<string, Json>).map(([name, sub]) => bytesField(1, join([bytesField(1, name), bytesField(2, schema(sub))])))));
        case 'readOnly':
          return varintField(27, Boolean(value));
        default:
          throw unsupported('Schema', key);
      }
    }),
  );

/** ParametersItem { Parameter parameter = 1 }: Parameter { BodyParameter = 1 | NonBodyParameter = 2 }. */
const parameter = (p: Json): Buffer => {
  const scalar = (fields: Record<string, number>): Buffer =>
    join(
      Object.entries(p).map(([key, value]) => {
        const field = fields[key];
        if (field === undefined) throw unsupported(`${String(p.in)} parameter`, key);
        if (key === 'schema') return bytesField(field, schema(value as Json));
        return typeof value === 'boolean' ? varintField(field, value) : bytesField(field, String(value));
      }),
    );
  if (p.in === 'body') return bytesField(1, bytesField(1, scalar({ description: 1, name: 2, in: 3, required: 4, schema: 5 })));
  // NonBodyParameter { query_parameter_sub_schema = 3 | path_parameter_sub_schema = 4 }
  if (p.in === 'query') return bytesField(1, bytesField(2, bytesField(3, scalar({ required: 1, in: 2, description: 3, name: 4, type: 6, format: 7, uniqueItems: 20 }))));
  if (p.in === 'path') return bytesField(1, bytesField(2, bytesField(4, scalar({ required: 1, in: 2, description: 3, name: 4, type: 5, format: 6, uniqueItems: 19 }))));
  throw unsupported('parameter location', String(p.in));
};

/** Responses { repeated NamedResponseValue response_code = 1 }: ResponseValue { Response response = 1 }. */
const responses = (byCode: Record<string, Json>): Buffer =>
  join(
    Object.entries(byCode).map(([code, r]) => {
      const response = join(
        Object.entries(r).map(([key, value]) => {
          if (key === 'description') return bytesField(1, String(value));
          if (key === 'schema') return bytesField(2, bytesField(1, schema(value as Json))); // SchemaItem { Schema schema = 1 }
          throw unsupported('Response', key);
        }),
      );
      return bytesField(1, join([bytesField(1, code), bytesField(2, bytesField(1, response))]));
    }),
  );

/** openapi.v2.Operation */
const operation = (op: Json): Buffer =>
  join(
    Object.entries(op).map(([key, value]): Buffer => {
      if (key.startsWith('x-')) return bytesField(13, namedAny(key, value));
      switch (key) {
        case 'operationId':
          return bytesField(5, String(value));
        case 'produces':
          return join((value as string[]).map((t) => bytesField(6, t)));
        case 'consumes':
          return join((value as string[]).map((t) => bytesField(7, t)));
        case 'parameters':
          return join((value as Json[]).map((p) => bytesField(8, parameter(p))));
        case 'responses':
          return bytesField(9, responses(value as Record<string, Json>));
        default:
          throw unsupported('Operation', key);
      }
    }),
  );

const PATH_ITEM_OPERATIONS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** openapi.v2.PathItem */
const pathItem = (item: Json): Buffer =>
  join(
    Object.entries(item).map(([key, value]) => {
      const field = PATH_ITEM_OPERATIONS[key];
      if (field !== undefined) return bytesField(field, operation(value as Json));
      if (key === 'parameters') return join((value as Json[]).map((p) => bytesField(9, parameter(p))));
      throw unsupported('PathItem', key);
    }),
  );

/** The served v2 document ({swagger, info, paths, definitions}) as an openapi.v2.Document message. */
export const openApiV2Protobuf = (doc: Json): Buffer =>
  join(
    Object.entries(doc).map(([key, value]) => {
      switch (key) {
        case 'swagger':
          return bytesField(1, String(value));
        case 'info': {
          const info = isJson(value) ? value : {};
          return bytesField(2, join([bytesField(1, String(info.title ?? '')), bytesField(2, String(info.version ?? ''))]));
        }
        case 'paths': // Paths { repeated NamedPathItem path = 2 }
          return bytesField(8, join(Object.entries(value as Record<string, Json>).map(([path, item]) => bytesField(2, join([bytesField(1, path), bytesField(2, pathItem(item))])))));
        case 'definitions': // Definitions { repeated NamedSchema additional_properties = 1 }
          return bytesField(9, join(Object.entries(value as Record<string, Json>).map(([name, s]) => bytesField(1, join([bytesField(1, name), bytesField(2, schema(s))])))));
        default:
          throw unsupported('Document', key);
      }
    }),
  );
