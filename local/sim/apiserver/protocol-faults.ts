/**
 * Kubernetes API faults at the protocol level, injected through /_sim/faults with a body
 * `{"kubernetes": {...}}` (kept apart from the pod / node-group faults of ../faults.ts):
 *
 * - `too_many_requests`: 429 with `Retry-After`, as API Priority and Fairness rejects a request
 *   its queues cannot hold ("Too many requests, please try again later.").
 * - `internal_error`: 500 InternalError; `service_unavailable`: 503 ServiceUnavailable.
 * - `timeout`: the request is held `holdMs`, then the connection is dropped without an answer.
 *
 * A rule matches by verb, resource (`nodes`, `pods/log`, `services/proxy`), namespace and
 * caller (a function name, or `operator`), fires with probability `rate`, and at most `count`
 * times. Rules live in memory only: they are test instruments, not cluster state.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { callerOf } from '../../identity.js';
import { jsonResponse, type SimRequest, type SimResponse } from '../http.js';
import type { ApiHost } from './host.js';
import type { UserInfo } from './authorizer.js';
import type { RequestInfo } from './request-info.js';
import { failureStatus } from './status.js';

export const KUBERNETES_FAULTS = ['too_many_requests', 'internal_error', 'service_unavailable', 'timeout'] as const;

export const kubernetesFaultRequestSchema = z
  .object({
    error: z.enum(KUBERNETES_FAULTS),
    verb: z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']).optional(),
    resource: z.string().regex(/^[a-z0-9.-]+(\/[a-z]+)?$/, 'a resource such as nodes or pods/log').optional(),
    namespace: z.string().min(1).optional(),
    caller: z.string().min(1).optional(),
    rate: z.number().gt(0).lte(1).default(1),
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().int().min(1).max(60).default(1),
    holdMs: z.number().int().min(0).max(120_000).default(5_000),
  })
  .strict();

export type KubernetesFaultRequest = z.input<typeof kubernetesFaultRequestSchema>;

export interface KubernetesFaultRule extends z.infer<typeof kubernetesFaultRequestSchema> {
  readonly id: string;
  /** How many times the rule has fired. */
  fired: number;
}

const rules = new WeakMap<ApiHost, KubernetesFaultRule[]>();

const rulesOf = (world: ApiHost): KubernetesFaultRule[] => {
  let list = rules.get(world);
  if (!list) {
    list = [];
    rules.set(world, list);
  }
  return list;
};

export const addKubernetesFault = (world: ApiHost, request: unknown): KubernetesFaultRule => {
  const parsed = kubernetesFaultRequestSchema.parse(request);
  const rule: KubernetesFaultRule = { id: randomUUID(), fired: 0, ...parsed };
  rulesOf(world).push(rule);
  return rule;
};

export const listKubernetesFaults = (world: ApiHost): readonly KubernetesFaultRule[] => rulesOf(world).map((r) => ({ ...r }));

/** Removes one rule (by id) or all; returns how many were removed. */
export const clearKubernetesFaults = (world: ApiHost, id?: string): number => {
  const list = rulesOf(world);
  const before = list.length;
  rules.set(world, id === undefined ? [] : list.filter((r) => r.id !== id));
  return before - rulesOf(world).length;
};

const matches = (rule: KubernetesFaultRule, info: RequestInfo, caller: string): boolean => {
  if (rule.caller !== undefined && rule.caller !== caller) return false;
  if (!info.isResourceRequest) return rule.verb === undefined && rule.resource === undefined && rule.namespace === undefined;
  if (rule.verb !== undefined && rule.verb !== info.verb) return false;
  if (rule.namespace !== undefined && rule.namespace !== info.namespace) return false;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return rule.resource === undefined || rule.resource === resource;
};


/** The injected failure for this request, if a rule fires. */
export const kubernetesFaultResponse = (world: ApiHost, req: SimRequest, info: RequestInfo, _user: UserInfo): SimResponse | undefined => {
  const caller = callerOf(req.headers) ?? 'operator';
  for (const rule of rulesOf(world)) {
    if (rule.count !== undefined && rule.fired >= rule.count) continue;
    if (!matches(rule, info, caller)) continue;
    if (rule.rate < 1 && Math.random() >= rule.rate) continue;
    rule.fired += 1;
    switch (rule.error) {
      case 'too_many_requests': {
        const body = failureStatus(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: rule.retryAfterSeconds });
        return jsonResponse(429, body, { 'retry-after': String(rule.retryAfterSeconds) });
      }
      case 'internal_error':
        return jsonResponse(500, failureStatus(500, 'InternalError', 'Internal error occurred: injected by the simulator'));
      case 'service_unavailable':
        return jsonResponse(503, failureStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
      case 'timeout':
        return { status: 0, headers: {}, body: '', dropAfterMs: rule.holdMs };
    }
  }
  return undefined;
};

/**
 * For the control API: a `{"kubernetes": {...}}` body becomes a handler that adds the rule (201)
 * or answers 400 naming the field; any other body is left to the pod / node-group faults.
 */
export const kubernetesFaultBody = (body: unknown): ((world: ApiHost) => SimResponse) | undefined => {
  if (typeof body !== 'object' || body === null || !('kubernetes' in body)) return undefined;
  const keys = Object.keys(body);
  return (world) => {
    if (keys.length !== 1) return jsonResponse(400, { error: 'invalid fault', issues: [`: a Kubernetes fault is {"kubernetes": {...}} alone, got ${keys.join(', ')}`] });
    const parsed = kubernetesFaultRequestSchema.safeParse((body as { kubernetes: unknown }).kubernetes);
    if (!parsed.success) return jsonResponse(400, { error: 'invalid fault', issues: parsed.error.issues.map((i) => `kubernetes.${i.path.join('.')}: ${i.message}`) });
    return jsonResponse(201, addKubernetesFault(world, parsed.data));
  };
};
