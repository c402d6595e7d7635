#!/usr/bin/env node
// The gpuctl command: runs the TypeScript CLI (cli/main.ts) through tsx, so a fresh clone
// needs nothing but `npm ci` (then `npx gpuctl --help`).
import { tsImport } from 'tsx/esm/api';

await tsImport('../cli/main.ts', import.meta.url);
