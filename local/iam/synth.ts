/**
 * The synthesized CloudFormation template, the one source of truth for local IAM: the CDK app
 * is synthesized in-process with bundling skipped and without cdk-nag (nag checks the template,
 * it does not change it), and the template is cached on disk under a hash of everything that
 * shapes it, so a local cloud start or a test file reads a file instead of spending ~4 s.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'gpu-local-iam');
const STACK_NAME = 'GpuControlPlane';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TemplateJson = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

/** Context keys of cdk.json the local cloud overrides so the template names what it runs. */
export interface SynthOptions {
  readonly prefix: string;
  readonly clusterName: string;
  readonly namespace: string;
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });

/** Hash of the inputs that shape the template (infra code, the contract and its data, cdk.json, locked dependencies) and the context. */
export const templateInputsHash = (options: SynthOptions): string => {
  const hash = createHash('sha256');
  const files = [
    ...filesUnder(join(ROOT, 'infra')),
    ...filesUnder(join(ROOT, 'contract')),
    join(ROOT, 'cdk.json'),
    join(ROOT, 'package-lock.json'),
  ].sort();
  for (const file of files) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(JSON.stringify([options.prefix, options.clusterName, options.namespace]));
  return hash.digest('hex').slice(0, 32);
};

const LOCAL_AZ_IDS = ['use1-az1', 'use1-az2', 'use1-az4'];

const localOfferings = (): Record<string, string[]> => {
  const inventory = JSON.parse(readFileSync(join(ROOT, 'contract/data/inventory.json'), 'utf8')) as {
    gpu_configs: { instance_type: string }[];
  };
  return Object.fromEntries(inventory.gpu_configs.map((c) => [c.instance_type, LOCAL_AZ_IDS]));
};

const synthesize = async (options: SynthOptions): Promise<TemplateJson> => {
  const [{ App }, { configFromContext, GpuControlPlaneStack }] = await Promise.all([import('aws-cdk-lib'), import('../../infra/stack')]);
  const outdir = mkdtempSync(join(tmpdir(), 'gpu-local-iam-'));
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    context: {
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
      // The local region offers every GPU instance type in each of its simulated AZs; a real
      // account's offerings come from describe-instance-type-offerings (docs/deploy.md).
      gpuInstanceOfferings: localOfferings(),
      prefix: options.prefix,
      clusterName: options.clusterName,
      modelNamespace: options.namespace,
    },
    outdir,
  });
  try {
    new GpuControlPlaneStack(app, STACK_NAME, { config: configFromContext(app.node) });
    return app.synth().getStackByName(STACK_NAME).template as TemplateJson;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

/**
 * The template for these options, from the cache when the inputs are unchanged. Concurrent
 * callers (test workers) may both synthesize; each writes a private file and renames it into
 * place, so a reader never sees a half-written cache entry.
 */
export const loadTemplate = async (options: SynthOptions): Promise<TemplateJson> => {
  const file = join(CACHE_DIR, `${templateInputsHash(options)}.json`);
  try {
    if (statSync(file).size > 0) return JSON.parse(readFileSync(file, 'utf8')) as TemplateJson;
  } catch {
    // not cached yet (or unreadable): synthesize below
  }
  const template = await synthesize(options);
  mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, JSON.stringify(template));
  renameSync(temporary, file);
  pruneCache();
  return template;
};

const KEEP_CACHED = 8;

/** Every infra edit makes a new entry: keep the newest few (another worker's fresh file is among them). */
const pruneCache = (): void => {
  const entries = readdirSync(CACHE_DIR)
    .filter((name) => name.endsWith('.json'))
    // A concurrent pruner may remove a file between the listing and the stat.
    .flatMap((name) => {
      const path = join(CACHE_DIR, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      return stat ? [{ path, mtime: stat.mtimeMs }] : [];
    })
    .sort((a, b) => b.mtime - a.mtime);
  for (const entry of entries.slice(KEEP_CACHED)) rmSync(entry.path, { force: true });
};
