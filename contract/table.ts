/**
 * The one DynamoDB table definition, shared by CDK (infra/constructs/data.ts) and the local
 * cloud (local/dynamodb.ts creates it in dynalite from this object).
 *
 * Single-table design:
 *   deployment   pk = TENANT#<org>#<project>   sk = DEP#<deployment id>
 *   name claim   pk = TENANT#<org>#<project>   sk = NAME#<deployment name>
 *   catalog      pk = CATALOG                  sk = MODEL#<catalog id>
 *                an admin's change to the model catalog (adapters/catalog-repository.ts): the
 *                full model definition (`model`), `origin` (builtin: overrides the model of that
 *                id in contract/data/catalog.json; admin: added), `retired_at` once
 *                retired, `version` (writes are conditional on it), `updated_at`, `updated_by`.
 *                GET /aimodels-catalog is the built-in list with these laid over it; one small
 *                partition, read with one Query.
 *   inference key  pk = INFKEY#<key id>     sk = INFKEY
 *                one customer key of the gateway (adapters/inference-keys.ts): its name, prefix,
 *                HMAC of its secret (never the key), expiry, revocation, deployments and limits.
 *                The key id travels in the key, so the gateway finds it with one GetItem.
 *   key usage      pk = INFKEY#<key id>     sk = USAGE#<UTC day>#<deployment id>
 *   tokens         pk = TOKENS#<deployment id>  sk = DAY#<UTC day>
 *                token counters (adapters/token-usage.ts) the gateways ADD to: requests,
 *                prompt_tokens, completion_tokens, estimated_requests; per key and deployment
 *                (a key's usage route) and per deployment (the deployment's usage route).
 *
 * Index `by-gpu-config` (gsi1pk = GPUCFG#<gpu config id>, gsi1sk = DEP#<id>) lists the live
 * deployments of one GPU node group, which is what capacity planning needs; a deployment
 * leaves the index (attributes removed) once its GPUs are given back.
 *
 * Index `in-flight` (gsi2pk = INFLIGHT, gsi2sk = DEP#<id>) is sparse: it lists the deployments
 * an execution is supposed to be working on (every phase but `ready` and `failed`), so the
 * reconcile finds stuck operations with one Query instead of a Scan. The repository sets and
 * removes the attributes whenever a write changes the phase.
 *
 * Index `schedule-due` (gsi3pk = DUE#<shard 0..7>, gsi3sk = <next due time ISO>#<id>) is
 * sparse: it lists the deployments with a schedule (windows or idle timeout), keyed by when
 * the sweeper should look at them next, so a sweep reads only what is due, with one Query per
 * shard (`gsi3sk <= now`), never a Scan. Shards spread the writes of many deployments due at
 * the same minute; an overdue entry stays found however late the sweep (no time bucket to miss).
 *
 * Index `inference-keys` (gsi4pk = KEYS#<org>#<project>, gsi4sk = <created_at>#<key id>) is
 * sparse: only inference key items carry it, so a project's keys are listed newest first with
 * one Query (revoked keys stay listed, with `revoked_at`), and counted with a COUNT Query.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Attribute that DynamoDB TTL reads (epoch seconds), for bounded history items. */
  timeToLiveAttribute: 'expires_at',
  indexes: [
    { name: 'by-gpu-config', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'in-flight', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'schedule-due', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    { name: 'inference-keys', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
  ],
} as const;
