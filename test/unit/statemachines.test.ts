import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STANDARD_RETRY, type State } from '../../statemachines/src/builder';
import { generatedMachines } from '../../statemachines/src/machines';

const transitionsOf = (state: State): string[] => [
  ...(typeof state.Next === 'string' ? [state.Next] : []),
  ...(typeof state.Default === 'string' ? [state.Default] : []),
  ...((state.Choices ?? []) as { Next: string }[]).map((choice) => choice.Next),
  ...((state.Catch ?? []) as { Next: string }[]).map((catcher) => catcher.Next),
];

describe.each(generatedMachines())('$file', ({ file, machine, text }) => {
  it('is what npm run statemachines generates from statemachines/src/', () => {
    const committed = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    expect(committed, `${file} is stale: run npm run statemachines`).toBe(text);
  });

  it('reaches every state from StartAt, and every transition names a state of the machine', () => {
    const names = Object.keys(machine.States);
    for (const [name, state] of Object.entries(machine.States)) {
      for (const target of transitionsOf(state)) expect(names, `${name} -> ${target}`).toContain(target);
    }
    const reached = new Set([machine.StartAt]);
    for (const name of reached) for (const target of transitionsOf(machine.States[name]!)) reached.add(target);
    expect([...reached].sort()).toEqual([...names].sort());
  });

  it('gives every task the standard retry policy, after the poll retrier if it polls', () => {
    for (const [name, state] of Object.entries(machine.States).filter(([, s]) => s.Type === 'Task')) {
      expect((state.Retry as unknown[]).slice(-STANDARD_RETRY.length), name).toEqual(STANDARD_RETRY);
    }
  });
});
