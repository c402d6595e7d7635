/**
 * gpuctl covers the API: every route of contract/routes.ts has a typed call (cli/api.ts METHODS)
 * and a command (COMMAND_OF) that exists in gpuctl's command tree and is documented in
 * docs/cli.md. A new route without a command fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_OF, METHODS, type RouteName } from '../../cli/api';
import { buildProgram } from '../../cli/program';
import { ROUTES } from '../../contract/routes';

const find = (program: Command, words: string[]): Command | undefined =>
  words.reduce<Command | undefined>((command, word) => command?.commands.find((c) => c.name() === word), program);

describe('gpuctl commands', () => {
  const program = buildProgram();
  const docs = readFileSync(join(import.meta.dirname, '../../docs/cli.md'), 'utf8');

  it('has a command for every route, and no command for a route that does not exist', () => {
    const routes = ROUTES.map((r) => r.name).sort();
    expect(Object.keys(COMMAND_OF).sort()).toEqual(routes);
    expect(Object.keys(METHODS).sort()).toEqual(routes);
  });

  it.each(ROUTES.map((r) => [r.name, r.method] as const))('%s: its command exists, with help, and docs/cli.md shows it', (name, method) => {
    const words = COMMAND_OF[name as RouteName];
    expect(METHODS[name as RouteName]).toBe(method);
    const command = find(program, words.split(' '));
    expect(command, `gpuctl ${words}`).toBeDefined();
    expect(command!.description()).not.toBe('');
    expect(docs).toContain(`gpuctl ${words}`);
  });
});
