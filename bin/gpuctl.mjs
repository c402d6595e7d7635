#!/usr/bin/env node
// The gpuctl command: runs the TypeScript CLI (cli/main.ts) through tsx, so a fresh clone
// needs nothing but `npm ci` (then `npm run -s cli -- --help`, or this file, docs/cli.md).
//
// Started by a Node older than package.json's `engines` (the machine's, when this file is run
// directly or from an alias), it hands over to the project's own Node (the `node` devDependency)
// so gpuctl always runs on the Node the project is tested with.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const wanted = Number(/\d+/.exec(JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).engines?.node ?? '')?.[0] ?? 0);
const projectNode = fileURLToPath(new URL('node_modules/.bin/node', root));

if (Number(process.versions.node.split('.')[0]) < wanted && existsSync(projectNode)) {
  const child = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) throw child.error;
  // A child killed by a signal exits as a shell reports it: 128 + the signal's number.
  process.exitCode = child.status ?? 128 + ((await import('node:os')).constants.signals[child.signal] ?? 0);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../cli/main.ts', import.meta.url);
}
