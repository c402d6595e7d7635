/**
 * How every Lambda handler is bundled: one set of esbuild options shared by `npm run bundle`
 * (scripts/bundle.ts) and the CDK function construct (infra/constructs/control-plane-function.ts),
 * so the bundle measured locally is the bundle deployed.
 *
 * Nothing is external except Node's built-ins (esbuild's `platform: 'node'` leaves those out).
 * In particular the AWS SDK v3 clients are bundled rather than taken from the Lambda runtime:
 * - version pinning: the code runs against the SDK versions in package-lock.json, the same ones
 *   the unit and local-cloud tests ran against, not whatever the runtime ships that week;
 * - cold start: a tree-shaken, minified single file loads faster than resolving the runtime's
 *   full, unminified `@aws-sdk/*` packages from /var/runtime/node_modules.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** Repository root, derived from this module's location (never the working directory). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * ESM bundles have no `require`; CommonJS dependencies inside them (and esbuild's `__require`
 * shim for their `require('node:…')` calls) need one, so every bundle starts by creating it.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __controlPlaneCreateRequire } from 'node:module';" +
  ' const require = __controlPlaneCreateRequire(import.meta.url);';

export interface LambdaBundleOptions {
  readonly platform: 'node';
  readonly format: 'esm';
  /** esbuild target: the oldest Lambda Node.js runtime the bundles must run on. */
  readonly target: string;
  readonly minify: boolean;
  readonly treeShaking: boolean;
  /** External `.map` file; stack traces are mapped at run time with `--enable-source-maps`. */
  readonly sourcemap: boolean;
  /** Source text left out of the maps: traces only need the mappings, and the zip stays small. */
  readonly sourcesContent: boolean;
  /** Prefer the ESM build of a dependency (better tree-shaking), fall back to CommonJS. */
  readonly mainFields: readonly string[];
  readonly banner: string;
  readonly external: readonly string[];
  /** Packages replaced by a module of ours (absolute paths), see functions/commons/lambda-credentials.ts. */
  readonly alias: Readonly<Record<string, string>>;
  /** Bundle file name inside the function's folder; `.mjs` makes Lambda load it as ESM. */
  readonly outputFileName: string;
}

export const LAMBDA_BUNDLE_OPTIONS: LambdaBundleOptions = {
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  external: [],
  // Lambda gives credentials in the environment only: the default chain's other links are dead code there.
  alias: { '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../functions/commons/lambda-credentials.ts', import.meta.url)) },
  outputFileName: 'index.mjs',
};

/** The esbuild build options for one handler entry (absolute path) and output file. */
export const esbuildOptionsFor = (entryPoint: string, outfile: string): BuildOptions => ({
  entryPoints: [entryPoint],
  outfile,
  bundle: true,
  platform: LAMBDA_BUNDLE_OPTIONS.platform,
  format: LAMBDA_BUNDLE_OPTIONS.format,
  target: LAMBDA_BUNDLE_OPTIONS.target,
  minify: LAMBDA_BUNDLE_OPTIONS.minify,
  treeShaking: LAMBDA_BUNDLE_OPTIONS.treeShaking,
  sourcemap: LAMBDA_BUNDLE_OPTIONS.sourcemap,
  sourcesContent: LAMBDA_BUNDLE_OPTIONS.sourcesContent,
  mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
  banner: { js: LAMBDA_BUNDLE_OPTIONS.banner },
  external: [...LAMBDA_BUNDLE_OPTIONS.external],
  alias: { ...LAMBDA_BUNDLE_OPTIONS.alias },
  absWorkingDir: PROJECT_ROOT,
  metafile: true,
  logLevel: 'warning',
});
