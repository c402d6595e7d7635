/**
 * The IAM requests behind one DynamoDB API call: the action is `dynamodb:<Operation>`; the
 * resource is the table (or, for a Query or Scan on an index, the index `table/<t>/index/<i>`);
 * a batch names each of its tables; a transaction is authorized per item as the item's own
 * action (Put → PutItem, Update → UpdateItem, Delete → DeleteItem, ConditionCheck →
 * ConditionCheckItem, Get → GetItem), as DynamoDB does.
 */
import type { AuthorizationRequest } from './evaluate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

export const dynamoRequests = (operation: string, body: Json, scope: { region: string; account: string }): AuthorizationRequest[] => {
  const table = (name: string) => `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${name}`;
  const action = `dynamodb:${operation}`;
  const input = (body && typeof body === 'object' ? body : {}) as Json;
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(input.RequestItems ?? {}).map((name) => ({ action, resource: table(name) }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Json[]).flatMap((item) =>
        Object.entries(item ?? {}).flatMap(([kind, detail]) => {
          const itemAction = TRANSACT_ACTIONS[kind];
          const name = (detail as Json)?.TableName;
          return itemAction && typeof name === 'string' ? [{ action: `dynamodb:${itemAction}`, resource: table(name) }] : [];
        }),
      );
    case 'ListTables':
      return [{ action, resource: `arn:aws:dynamodb:${scope.region}:${scope.account}:table/*` }];
    default: {
      const name = typeof input.TableName === 'string' ? input.TableName : '*';
      const index = (operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '';
      return [{ action, resource: `${table(name)}${index}` }];
    }
  }
};
