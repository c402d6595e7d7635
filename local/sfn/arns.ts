/** ARNs and names of local state machines and executions, shaped like AWS's. */

export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

export const stateMachineArn = (scope: ArnScope, name: string): string =>
  `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;

export const executionArn = (scope: ArnScope, stateMachineName: string, name: string): string =>
  `arn:aws:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${name}`;

export const roleArn = (scope: ArnScope): string => `arn:aws:iam::${scope.accountId}:role/local-step-functions`;

const ARN_PATTERN = /^arn:aws[a-z-]*:states:([^:]*):([^:]*):([A-Za-z]+):(.+)$/;

interface ParsedStatesArn {
  region: string;
  accountId: string;
  resourceType: string;
  parts: string[];
}

function parseStatesArn(arn: string): ParsedStatesArn | undefined {
  const match = ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  const [, region = '', accountId = '', resourceType = '', rest = ''] = match;
  return { region, accountId, resourceType, parts: rest.split(':') };
}

/** Parse result: 'malformed' (InvalidArn), 'foreign' (well formed but not ours: does not exist), or the name(s). */
export type ArnParse<T> = { kind: 'malformed' } | { kind: 'foreign' } | ({ kind: 'ok' } & T);

export function parseStateMachineArn(scope: ArnScope, arn: string): ArnParse<{ name: string }> {
  const parsed = parseStatesArn(arn);
  if (!parsed || parsed.resourceType !== 'stateMachine') return { kind: 'malformed' };
  const [name, ...qualifier] = parsed.parts;
  if (!name || qualifier.length > 0) return { kind: 'foreign' };
  if (parsed.region !== scope.region || parsed.accountId !== scope.accountId) return { kind: 'foreign' };
  return { kind: 'ok', name };
}

export function parseExecutionArn(scope: ArnScope, arn: string): ArnParse<{ stateMachineName: string; name: string }> {
  const parsed = parseStatesArn(arn);
  if (!parsed || parsed.resourceType !== 'execution') return { kind: 'malformed' };
  const [stateMachineName, name, ...extra] = parsed.parts;
  if (!stateMachineName || !name || extra.length > 0) return { kind: 'malformed' };
  if (parsed.region !== scope.region || parsed.accountId !== scope.accountId) return { kind: 'foreign' };
  return { kind: 'ok', stateMachineName, name };
}

// AWS: no whitespace, brackets, wildcards, special characters or control characters; 1-80 long.
// eslint-disable-next-line no-control-regex -- control characters are exactly what AWS forbids here
const FORBIDDEN_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Why a state machine or execution name is invalid, or undefined when it is valid. */
export function invalidNameReason(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return `Invalid Name: '${name}' (must be 1-80 characters long)`;
  if (FORBIDDEN_NAME_CHARACTERS.test(name)) return `Invalid Name: '${name}' (contains a forbidden character)`;
  return undefined;
}
