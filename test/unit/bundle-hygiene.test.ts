/**
 * Import rules that keep the Lambda bundles small (infra/bundling.ts). Each rule names a
 * measured cost, so a change that breaks one learns why here rather than in the bench.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE_OPTIONS, PROJECT_ROOT } from '../../infra/bundling';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

const FUNCTION_SOURCES = sources(join(PROJECT_ROOT, 'functions'));

describe('Lambda bundle hygiene', () => {
  it('imports zod as a namespace (`import * as z`), never `import { z }`', () => {
    // `import { z } from 'zod'` takes zod's `z` re-export, which esbuild cannot tree-shake: a
    // bundle with one small schema measured 454 KB that way and 90 KB with `import * as z`.
    const offenders = FUNCTION_SOURCES.filter((file) => /import\s*\{[^}]*\bz\b[^}]*\}\s*from\s*'zod'/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(PROJECT_ROOT, file))).toEqual([]);
  });

  it('replaces the default credential chain in bundles by environment credentials only', () => {
    // The chain's SSO/INI/IMDS links brought the STS and SSO clients into every bundle
    // (about 130 KB of a 614 KB API handler); in Lambda only its first link, fromEnv, answers.
    const stand_in = LAMBDA_BUNDLE_OPTIONS.alias['@aws-sdk/credential-provider-node'] ?? '';
    expect(readFileSync(stand_in, 'utf8')).toMatch(/export const defaultProvider\b/);
    expect(FUNCTION_SOURCES.map((f) => relative(PROJECT_ROOT, f))).toContain(relative(PROJECT_ROOT, stand_in));
  });
});
