/**
 * The one DynamoDB table definition, shared by CDK (infra/constructs/data.ts) and the local
 * cloud (local/dynamodb.ts creates it in dynalite from this object).
 *
 * Single-table design:
 *   deployment   pk = TENANT#<org>#<project>   sk = DEP#<deployment id>
 *   name claim   pk = TENANT#<org>#<project>   sk = NAME#<deployment name>
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Attribute that DynamoDB TTL reads (epoch seconds), for bounded history items. */
  timeToLiveAttribute: 'expires_at',
} as const;
