/**
 * Identity-based policy evaluation as IAM does it for one principal in one account: an explicit
 * Deny wins, otherwise an Allow whose Action, Resource and Condition all match, otherwise the
 * implicit deny. Conditions follow the IAM reference: keys AND, values OR (NOR when negated), a
 * key missing from the request makes a condition false, except negated operators (true),
 * `...IfExists` (true) and `Null`.
 */
import type { PolicyStatement } from './principals';

/** The request context: condition keys (case-insensitive names) and their values. */
export type ConditionContext = Readonly<Record<string, string | boolean | number | readonly string[] | undefined>>;

export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: ConditionContext;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value as T]);

const escape = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
const globCache = new Map<string, RegExp>();
/** `*` any run of characters, `?` one character; whole-string match. */
export const globMatch = (pattern: string, value: string, ignoreCase = false): boolean => {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = globCache.get(key);
  if (!regex) {
    regex = new RegExp(`^${escape(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
    if (globCache.size > 5000) globCache.clear();
    globCache.set(key, regex);
  }
  return regex.test(value);
};

/** Actions match case-insensitively (service prefix and name), with wildcards. */
const actionMatches = (pattern: string, action: string) => globMatch(pattern, action, true);

/**
 * ARNs match part by part (partition, service, region, account, resource); each of the first
 * five colon-separated parts and the resource may carry wildcards, case-sensitively.
 */
export const arnMatches = (pattern: string, arn: string): boolean => {
  if (pattern === '*') return true;
  const want = pattern.split(':');
  const have = arn.split(':');
  if (want.length < 6 || have.length < 6) return globMatch(pattern, arn);
  for (let i = 0; i < 5; i++) if (!globMatch(want[i]!, have[i]!)) return false;
  return globMatch(want.slice(5).join(':'), have.slice(5).join(':'));
};

const lookup = (context: ConditionContext, key: string): readonly string[] | undefined => {
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() !== lower || value === undefined) continue;
    return Array.isArray(value) ? value.map(String) : [String(value)];
  }
  return undefined;
};

type Matcher = (policyValue: string, requestValue: string) => boolean;
const MATCHERS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (p, r) => p === r, negated: false },
  StringNotEquals: { match: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { match: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { match: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { match: (p, r) => globMatch(p, r), negated: false },
  StringNotLike: { match: (p, r) => globMatch(p, r), negated: true },
  ArnEquals: { match: (p, r) => arnMatches(p, r), negated: false },
  ArnLike: { match: (p, r) => arnMatches(p, r), negated: false },
  ArnNotEquals: { match: (p, r) => arnMatches(p, r), negated: true },
  ArnNotLike: { match: (p, r) => arnMatches(p, r), negated: true },
  Bool: { match: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  NumericEquals: { match: (p, r) => Number(r) === Number(p), negated: false },
  NumericNotEquals: { match: (p, r) => Number(r) === Number(p), negated: true },
  NumericLessThan: { match: (p, r) => Number(r) < Number(p), negated: false },
  NumericLessThanEquals: { match: (p, r) => Number(r) <= Number(p), negated: false },
  NumericGreaterThan: { match: (p, r) => Number(r) > Number(p), negated: false },
  NumericGreaterThanEquals: { match: (p, r) => Number(r) >= Number(p), negated: false },
};

/** One `operator: { key: values }` entry; throws on an operator this evaluator does not know (never silently allow). */
const operatorHolds = (operator: string, keys: Readonly<Record<string, unknown>>, context: ConditionContext): boolean => {
  let name = operator;
  let qualifier: 'any' | 'all' | undefined;
  if (name.startsWith('ForAnyValue:')) [qualifier, name] = ['any', name.slice('ForAnyValue:'.length)];
  else if (name.startsWith('ForAllValues:')) [qualifier, name] = ['all', name.slice('ForAllValues:'.length)];
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  return Object.entries(keys).every(([key, raw]) => {
    const policyValues = asList(raw as string | readonly string[]).map(String);
    const requestValues = lookup(context, key);
    if (name === 'Null') {
      const absent = requestValues === undefined || requestValues.length === 0;
      return policyValues.some((value) => (value.toLowerCase() === 'true') === absent);
    }
    const matcher = MATCHERS[name];
    if (!matcher) throw new Error(`local IAM: condition operator ${operator} is not implemented`);
    if (requestValues === undefined) {
      if (qualifier === 'all') return true;
      if (qualifier === 'any') return false;
      return ifExists || matcher.negated;
    }
    const one = (value: string): boolean => {
      const hit = policyValues.some((policy) => matcher.match(policy, value));
      return matcher.negated ? !hit : hit;
    };
    if (qualifier === 'all') return requestValues.every(one);
    if (qualifier === 'any') return requestValues.some(one);
    // A single-valued key: with several request values (misuse), all of them must match.
    return requestValues.length > 0 && requestValues.every(one);
  });
};

const statementApplies = (statement: PolicyStatement, request: AuthorizationRequest): boolean => {
  const actionHit = statement.Action !== undefined
    ? asList(statement.Action).some((p) => actionMatches(p, request.action))
    : !asList(statement.NotAction).some((p) => actionMatches(p, request.action));
  if (!actionHit) return false;
  const resourceHit = statement.Resource !== undefined
    ? asList(statement.Resource).some((p) => arnMatches(p, request.resource))
    : statement.NotResource !== undefined && !asList(statement.NotResource).some((p) => arnMatches(p, request.resource));
  if (!resourceHit) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => operatorHolds(operator, keys, request.context ?? {}));
};

/** IAM's decision for one request against a principal's identity-based statements. */
export const evaluate = (statements: readonly PolicyStatement[], request: AuthorizationRequest): Decision => {
  let allowed = false;
  for (const statement of statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
};

/** The AccessDenied message AWS writes for a denied request (the resource part is left out for "*"). */
export const accessDeniedMessage = (callerArn: string, request: AuthorizationRequest, decision: Exclude<Decision, 'allow'>): string => {
  const on = request.resource === '*' ? '' : ` on resource: ${request.resource}`;
  const why =
    decision === 'explicit-deny'
      ? `with an explicit deny in an identity-based policy`
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${callerArn} is not authorized to perform: ${request.action}${on} ${why}`;
};
