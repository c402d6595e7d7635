/**
 * bin/gpuctl.mjs started by a Node older than package.json's engines (the machine's, through an
 * alias) hands over to the project's Node: gpuctl runs, and its exit code comes back unchanged.
 * Skipped where no older Node is installed beside the project's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/gpuctl.mjs');
const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = existsSync(SYSTEM_NODE) ? Number(/^v(\d+)/.exec(spawnSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 0) : 0;

describe('bin/gpuctl.mjs', () => {
  it.skipIf(systemMajor === 0 || systemMajor >= 22)('runs on the project\'s Node when started by an older one, exit code passed through', () => {
    // A preload in NODE_OPTIONS reports the version of each Node process that starts: the machine's, then the project's.
    const versions = { ...process.env, NODE_OPTIONS: '--import "data:text/javascript,process.stderr.write(process.version+String.fromCharCode(10))"' };
    const help = spawnSync(SYSTEM_NODE, [BIN, '--help'], { encoding: 'utf8', timeout: 30_000, env: versions });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gpuctl /);
    const [machine, project] = help.stderr.trim().split('\n');
    expect(machine).toBe(`v${spawnSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim().slice(1)}`);
    expect(Number(/^v(\d+)/.exec(project ?? '')?.[1])).toBeGreaterThanOrEqual(22);
    const usage = spawnSync(SYSTEM_NODE, [BIN, 'list', '--bogus'], { encoding: 'utf8', timeout: 30_000 });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("unknown option '--bogus'");
  });
});
