/**
 * The IAM requests behind one DynamoDB API call: the action is `dynamodb:<Operation>`; the
 * resource is the table (or, for a Query or Scan on an index, the index `table/<t>/index/<i>`);
 * a batch names each of its tables; a transaction is authorized per item as the item's own
 * action (Put → PutItem, Update → UpdateItem, Delete → DeleteItem, ConditionCheck →
 * ConditionCheckItem, Get → GetItem), as DynamoDB does.
 *
 * Item requests also carry the fine-grained access condition keys DynamoDB sets (its developer
 * guide, "Using IAM policy conditions for fine-grained access control"), so a policy that limits
 * them is enforced here too: `dynamodb:LeadingKeys`, the partition key value(s) of the items
 * written or read, and `dynamodb:Attributes`, the top-level attribute names a write names (the
 * key's, an UpdateExpression's, a Put's item). They are left out when the request names no item.
 */
import { TABLE } from '../../contract/table';
import type { AuthorizationRequest, ConditionContext } from './evaluate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

const partitionOf = (key: Json): string | undefined => {
  const value = key?.[TABLE.partitionKey];
  return typeof value?.S === 'string' ? value.S : undefined;
};

const UPDATE_KEYWORDS = new Set(['set', 'remove', 'add', 'delete']);

/** Top-level attribute names of an UpdateExpression: `#name`s resolved, bare names, never functions or `:values`. */
const updatedAttributes = (expression: unknown, names: Json): string[] => {
  if (typeof expression !== 'string') return [];
  const found: string[] = [];
  // A path starts an attribute when it does not follow `.` (a nested member) and is not a function call.
  for (const match of expression.matchAll(/(?<![.\w#:])(#?[A-Za-z_]\w*)(?!\w|\s*\()/g)) {
    const token = match[1]!;
    if (token.startsWith('#')) {
      const name = names?.[token];
      if (typeof name === 'string') found.push(name);
    } else if (!UPDATE_KEYWORDS.has(token.toLowerCase())) {
      found.push(token);
    }
  }
  return found;
};

/** The condition keys of one item request: the partition key value, and the attribute names when it writes. */
const itemContext = (items: readonly { key: Json; attributes?: readonly string[] }[]): ConditionContext | undefined => {
  const leading = [...new Set(items.map((item) => partitionOf(item.key)).filter((value): value is string => value !== undefined))];
  if (leading.length === 0) return undefined;
  const writes = items.filter((item) => item.attributes !== undefined);
  const attributes = [...new Set(writes.flatMap((item) => [...Object.keys(item.key ?? {}), ...item.attributes!]))];
  return { 'dynamodb:LeadingKeys': leading, ...(writes.length > 0 ? { 'dynamodb:Attributes': attributes } : {}) };
};

/** The item named by a single-item request (or a transaction's item) and, for a write, the attributes it names. */
const itemOf = (action: string, input: Json): { key: Json; attributes?: readonly string[] } => {
  switch (action) {
    case 'PutItem':
      return { key: input?.Item, attributes: Object.keys(input?.Item ?? {}) };
    case 'UpdateItem':
      return { key: input?.Key, attributes: [...updatedAttributes(input?.UpdateExpression, input?.ExpressionAttributeNames), ...Object.keys(input?.AttributeUpdates ?? {})] };
    case 'DeleteItem':
      return { key: input?.Key, attributes: [] };
    default:
      return { key: input?.Key };
  }
};

const withContext = (request: AuthorizationRequest, context: ConditionContext | undefined): AuthorizationRequest => (context ? { ...request, context } : request);

export const dynamoRequests = (operation: string, body: Json, scope: { region: string; account: string }): AuthorizationRequest[] => {
  const table = (name: string) => `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${name}`;
  const action = `dynamodb:${operation}`;
  const input = (body && typeof body === 'object' ? body : {}) as Json;
  switch (operation) {
    case 'BatchGetItem':
      return Object.keys(input.RequestItems ?? {}).map((name) => ({ action, resource: table(name) }));
    case 'BatchWriteItem':
      return Object.entries<Json>(input.RequestItems ?? {}).map(([name, requests]) => {
        const items = (Array.isArray(requests) ? requests : []).map((request: Json) =>
          request?.PutRequest ? { key: request.PutRequest.Item, attributes: Object.keys(request.PutRequest.Item ?? {}) } : { key: request?.DeleteRequest?.Key, attributes: [] },
        );
        return withContext({ action, resource: table(name) }, itemContext(items));
      });
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Json[]).flatMap((item) =>
        Object.entries(item ?? {}).flatMap(([kind, detail]) => {
          const itemAction = TRANSACT_ACTIONS[kind];
          const name = (detail as Json)?.TableName;
          if (!itemAction || typeof name !== 'string') return [];
          return [withContext({ action: `dynamodb:${itemAction}`, resource: table(name) }, itemContext([itemOf(itemAction, detail)]))];
        }),
      );
    case 'ListTables':
      return [{ action, resource: `arn:aws:dynamodb:${scope.region}:${scope.account}:table/*` }];
    default: {
      const name = typeof input.TableName === 'string' ? input.TableName : '*';
      const index = (operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '';
      const item = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].includes(operation) ? itemContext([itemOf(operation, input)]) : undefined;
      return [withContext({ action, resource: `${table(name)}${index}` }, item)];
    }
  }
};
