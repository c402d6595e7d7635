/**
 * The prefix limit is computed from the function tables (issue 13 m6: the documented 40
 * characters failed synth above 37): the longest prefix synthesizes with every name within its
 * service's limit, one more character is refused with a message naming the function.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import { configFromContext, LONGEST_FUNCTION_SUFFIX, MAX_PREFIX_LENGTH } from '../../infra/stack';
import { synthesize } from './template';

const prefixOf = (length: number): string => `p${'x'.repeat(length - 1)}`;

describe('prefix length (m6)', () => {
  it('is 64 minus the dash minus the longest route, task or schedule name', () => {
    const names = [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES].map((d) => d.name);
    expect(LONGEST_FUNCTION_SUFFIX.length).toBe(Math.max(...names.map((n) => n.length)));
    expect(MAX_PREFIX_LENGTH).toBe(64 - 1 - LONGEST_FUNCTION_SUFFIX.length);
  });

  it('one character over is refused at synth, naming the prefix, the limit and the function that would not fit', () => {
    const prefix = prefixOf(MAX_PREFIX_LENGTH + 1);
    expect(() => configFromContext(new App({ context: { prefix } }).node)).toThrow(
      new RegExp(`prefix "${prefix}" has ${MAX_PREFIX_LENGTH + 1} characters; at most ${MAX_PREFIX_LENGTH} fit.*${prefix}-${LONGEST_FUNCTION_SUFFIX}`),
    );
  });

  it('the longest allowed prefix synthesizes, and every function name is at most 64 characters', () => {
    const prefix = prefixOf(MAX_PREFIX_LENGTH);
    const s = synthesize({ prefix });
    const names = Object.values(s.resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties?.FunctionName === 'string')
      .map((r) => r.Properties.FunctionName as string);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(64);
    expect(names).toContain(`${prefix}-${LONGEST_FUNCTION_SUFFIX}`);
    const stateMachines = Object.values(s.resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').map((r) => String(r.Properties.StateMachineName));
    for (const name of stateMachines) expect(name.length, name).toBeLessThanOrEqual(80);
  }, 120_000);
});
