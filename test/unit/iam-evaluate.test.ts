import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessDeniedMessage, arnMatches, evaluate, globMatch } from '../../local/iam/evaluate';
import type { PolicyStatement } from '../../local/iam/principals';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/t';
const allow = (action: string | string[], resource: string | string[], Condition?: PolicyStatement['Condition']): PolicyStatement => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...(Condition ? { Condition } : {}),
});

describe('IAM policy evaluation', () => {
  it('denies by default, allows a matching Allow, and an explicit Deny wins over any Allow', () => {
    expect(evaluate([], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('implicit-deny');
    expect(evaluate([allow('dynamodb:GetItem', TABLE)], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(evaluate([allow('dynamodb:GetItem', TABLE)], { action: 'dynamodb:PutItem', resource: TABLE })).toBe('implicit-deny');
    const deny: PolicyStatement = { Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' };
    expect(evaluate([allow('*', '*'), deny], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('explicit-deny');
  });

  it('matches actions case-insensitively with wildcards, and NotAction / NotResource as complements', () => {
    expect(evaluate([allow('DynamoDB:get*', TABLE)], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(evaluate([allow('dynamodb:?etItem', TABLE)], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    const notAction: PolicyStatement = { Effect: 'Allow', NotAction: 'dynamodb:Delete*', Resource: '*' };
    expect(evaluate([notAction], { action: 'dynamodb:DeleteItem', resource: TABLE })).toBe('implicit-deny');
    expect(evaluate([notAction], { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    const notResource: PolicyStatement = { Effect: 'Allow', Action: '*', NotResource: `${TABLE}/index/*` };
    expect(evaluate([notResource], { action: 'dynamodb:Query', resource: `${TABLE}/index/by-x` })).toBe('implicit-deny');
    expect(evaluate([notResource], { action: 'dynamodb:Query', resource: TABLE })).toBe('allow');
  });

  it('matches resource ARNs case-sensitively and a table grant does not cover its indexes', () => {
    expect(arnMatches('arn:aws:secretsmanager:us-east-1:000000000000:secret:p/hf-token/*', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:p/hf-token/d1-AbC123')).toBe(true);
    expect(arnMatches('arn:aws:secretsmanager:us-east-1:000000000000:secret:p/hf-token/*', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:P/hf-token/d1-AbC123')).toBe(false);
    expect(evaluate([allow('dynamodb:Query', TABLE)], { action: 'dynamodb:Query', resource: `${TABLE}/index/by-x` })).toBe('implicit-deny');
    expect(arnMatches('arn:aws:eks:*:000000000000:nodegroup/c/g/*', 'arn:aws:eks:us-east-1:000000000000:nodegroup/c/g/1234')).toBe(true);
  });

  it('a missing condition key fails the condition, except negated operators, IfExists and Null', () => {
    const request = { action: 'kms:Decrypt', resource: '*', context: {} };
    const withCondition = (Condition: PolicyStatement['Condition']) => evaluate([allow('kms:Decrypt', '*', Condition)], request);
    expect(withCondition({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } })).toBe('implicit-deny');
    expect(withCondition({ StringLike: { 'kms:EncryptionContext:SecretARN': '*' } })).toBe('implicit-deny');
    expect(withCondition({ StringNotEquals: { 'kms:ViaService': 'x' } })).toBe('allow');
    expect(withCondition({ StringEqualsIfExists: { 'kms:ViaService': 'x' } })).toBe('allow');
    expect(withCondition({ Null: { 'aws:RequestTag/a': 'true' } })).toBe('allow');
    expect(withCondition({ Null: { 'aws:RequestTag/a': 'false' } })).toBe('implicit-deny');
    expect(withCondition({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } })).toBe('allow');
    expect(withCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } })).toBe('implicit-deny');
  });

  it('ANDs keys and operators, ORs the values of one key, and reads keys case-insensitively', () => {
    const statement = allow('autoscaling:TerminateInstanceInAutoScalingGroup', '*', {
      StringEquals: { 'aws:ResourceTag/eks:cluster-name': 'c', 'aws:ResourceTag/eks:nodegroup-name': ['g1', 'g2'] },
    });
    const request = (tags: Record<string, string>) => ({ action: 'autoscaling:TerminateInstanceInAutoScalingGroup', resource: 'arn:x', context: tags });
    expect(evaluate([statement], request({ 'aws:resourcetag/eks:cluster-name': 'c', 'aws:ResourceTag/eks:nodegroup-name': 'g2' }))).toBe('allow');
    expect(evaluate([statement], request({ 'aws:ResourceTag/eks:cluster-name': 'c', 'aws:ResourceTag/eks:nodegroup-name': 'system' }))).toBe('implicit-deny');
    expect(evaluate([statement], request({ 'aws:ResourceTag/eks:nodegroup-name': 'g1' }))).toBe('implicit-deny');
  });

  it('ForAllValues needs every request value among the policy values', () => {
    const statement = allow('secretsmanager:TagResource', '*', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } });
    const request = (keys: string[]) => ({ action: 'secretsmanager:TagResource', resource: 'arn:s', context: { 'aws:TagKeys': keys } });
    expect(evaluate([statement], request(['a']))).toBe('allow');
    expect(evaluate([statement], request(['a', 'b']))).toBe('implicit-deny');
  });

  it('refuses to guess an operator it does not implement', () => {
    expect(() => evaluate([allow('*', '*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })], { action: 'a:b', resource: 'x' })).toThrow(/IpAddress/);
  });

  it('writes the AccessDenied message as AWS does', () => {
    const caller = 'arn:aws:sts::000000000000:assumed-role/R/f';
    expect(accessDeniedMessage(caller, { action: 'dynamodb:PutItem', resource: TABLE }, 'implicit-deny')).toBe(
      `User: ${caller} is not authorized to perform: dynamodb:PutItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });

  // Properties: a glob without wildcards is equality; `*` covers everything; a literal prefix + `*` covers exactly its extensions.
  it('globs behave as IAM wildcards', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', '.', '-', '(', '+') });
    fc.assert(fc.property(text, text, (p, v) => globMatch(p, v) === (p === v)));
    fc.assert(fc.property(text, (v) => globMatch('*', v)));
    fc.assert(fc.property(text, text, (p, v) => globMatch(`${p}*`, v) === v.startsWith(p)));
  });

  it('an Allow never survives a matching Deny, whatever the order', () => {
    const actions = fc.constantFrom('s:A', 's:B', 's:*', '*', 'S:a');
    const statement = fc.record({ Effect: fc.constantFrom('Allow' as const, 'Deny' as const), Action: actions, Resource: fc.constantFrom('*', 'r1', 'r*') });
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), fc.constantFrom('s:A', 's:B'), fc.constantFrom('r1', 'r2'), (statements, action, resource) => {
        const decision = evaluate(statements, { action, resource });
        const matches = (s: PolicyStatement) => globMatch(String(s.Action), action, true) && globMatch(String(s.Resource), resource);
        const expected = statements.some((s) => s.Effect === 'Deny' && matches(s)) ? 'explicit-deny' : statements.some(matches) ? 'allow' : 'implicit-deny';
        expect(decision).toBe(expected);
      }),
    );
  });
});
