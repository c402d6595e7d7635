/**
 * Figure 2: Lambda cold start. Each handler's bundle is the one CDK deploys: built by a synth
 * with bundling on (test/bench/cdk-bundles.ts), into a scratch directory so the shared dist/ and
 * cdk.out are left alone. The same handler is also bundled with infra/bundling.ts's options (as
 * `npm run bundle` does) for esbuild's metafile, which names the SDK packages inside; the two
 * files must be the same bytes, or the figure stops. Its size, and the time a fresh
 * Node process takes to import it (median of several), stand beside a baseline bundle built
 * with the same options but tree-shaking off, holding nothing but `import * as` of every AWS
 * SDK package the handler's bundle pulls in: what importing the whole aggregated clients costs.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { PROJECT_ROOT, esbuildOptionsFor } from '../../infra/bundling';
import { ROUTES } from '../../contract/routes';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import { cdkBundleFiles } from './cdk-bundles';
import { scratchDir } from './harness';
import { fmt, median, metWhen, ratioOf, table, type FigureResult, type Row } from './results';

const IMPORT_RUNS = 7;
const SIZE_GOAL_BYTES = 300 * 1000;
const IMPORT_GOAL_RATIO = 1 / 3;
const SDK_PACKAGE = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//;

/** What the deployed functions get (infra/constructs/control-plane-function.ts and the binders), with placeholder values. */
const LAMBDA_ENV: Record<string, string> = {
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'gpu-control-plane',
  POWERTOOLS_METRICS_NAMESPACE: 'GpuControlPlane',
  LOG_LEVEL: 'INFO',
  TABLE_NAME: 'gpu-control-plane-deployments',
  DEPLOY_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-deploy',
  SCALE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-scale',
  DELETE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-delete',
  EKS_CLUSTER_NAME: 'gpu-models',
  MODEL_NAMESPACE: 'models',
};

interface Bundle {
  name: string;
  kind: 'api' | 'workflow' | 'baseline';
  file: string;
  bytes: number;
  sdkPackages: string[];
  /** Bytes in the output per package (or `our code`), largest first. */
  contributors: [string, number][];
}

const sdkPackagesOf = (metafile: Metafile): string[] =>
  [...new Set(Object.keys(metafile.inputs).flatMap((input) => SDK_PACKAGE.exec(input)?.[1] ?? []))].sort();

const PACKAGE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;

const contributorsOf = (metafile: Metafile): [string, number][] => {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const matches = [...input.matchAll(new RegExp(PACKAGE, 'g'))];
      const owner = matches.at(-1)?.[1] ?? 'our code';
      bytes.set(owner, (bytes.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1]);
};

/** The CDK-built bundle of a handler, with the metafile of the same build by infra/bundling.ts's options. */
const bundleHandler = async (dir: string, name: string, kind: 'api' | 'workflow', entry: string, deployed: string): Promise<Bundle> => {
  const local = join(dir, name, 'index.mjs');
  const result = await build(esbuildOptionsFor(join(PROJECT_ROOT, entry), local));
  const bytes = readFileSync(deployed);
  if (!bytes.equals(readFileSync(local))) throw new Error(`${name}: the CDK-built bundle differs from npm run bundle's (infra/bundling.ts and BUNDLING drifted apart)`);
  return { name, kind, file: deployed, bytes: bytes.length, sdkPackages: sdkPackagesOf(result.metafile!), contributors: contributorsOf(result.metafile!) };
};

const bundleBaseline = async (dir: string, packages: readonly string[]): Promise<Bundle> => {
  const name = `sdk-${packages.map((p) => p.replace('@aws-sdk/', '')).join('+')}`;
  const file = join(dir, name, 'index.mjs');
  const { entryPoints: _none, ...options } = esbuildOptionsFor('', file);
  await build({
    ...options,
    treeShaking: false,
    stdin: {
      contents: `${packages.map((p, i) => `import * as sdk${i} from '${p}';`).join('\n')}\nglobalThis.__sdk = [${packages.map((_, i) => `sdk${i}`).join(', ')}];\n`,
      resolveDir: PROJECT_ROOT,
      loader: 'js',
      sourcefile: `${name}.mjs`,
    },
  });
  return { name, kind: 'baseline', file, bytes: readFileSync(file).length, sdkPackages: [...packages], contributors: [] };
};

const IMPORT_SCRIPT =
  "const t0 = performance.now(); await import(process.argv[1]); " +
  'process.stdout.write(JSON.stringify({ importMs: performance.now() - t0 }));';

/** Milliseconds a fresh Node process spends importing `file`. */
const importOnce = (file: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...LAMBDA_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve((JSON.parse(out) as { importMs: number }).importMs);
      } catch (error) {
        reject(new Error(`importing ${file} failed (${String(error)}): ${err.slice(-400)}`));
      }
    });
  });

const kb = (bytes: number) => fmt(bytes / 1000, 0);

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const dir = await scratchDir('bundles');
  try {
    const deployed = cdkBundleFiles(join(dir, 'cdk.out'), [...ROUTES, ...TASK_FUNCTIONS]);
    const handlers = await Promise.all([
      ...ROUTES.map((r) => bundleHandler(dir, r.name, 'api', r.entry, deployed.get(r.name)!)),
      ...TASK_FUNCTIONS.map((t) => bundleHandler(dir, t.name, 'workflow', t.entry, deployed.get(t.name)!)),
    ]);
    const baselineFor = new Map<string, Bundle>();
    for (const handler of handlers) {
      const key = handler.sdkPackages.join(' ');
      if (handler.sdkPackages.length > 0 && !baselineFor.has(key)) baselineFor.set(key, await bundleBaseline(dir, handler.sdkPackages));
    }
    const all = [...handlers, ...baselineFor.values()];
    // Interleaved rounds: every bundle once per round, so drift of the machine hits all alike.
    const times = new Map<string, number[]>(all.map((b) => [b.name, []]));
    for (let round = 0; round < IMPORT_RUNS; round++) {
      for (const bundle of all) times.get(bundle.name)!.push(await importOnce(bundle.file));
    }
    const importMs = (b: Bundle) => median(times.get(b.name)!);

    const detail: string[][] = [];
    let apiOverSize = 0;
    let apiSlow = 0;
    let apiCount = 0;
    const apiRatios: number[] = [];
    for (const handler of handlers) {
      const baseline = baselineFor.get(handler.sdkPackages.join(' '));
      const ratio = baseline ? ratioOf(importMs(handler), importMs(baseline)) : Number.NaN;
      const sizeOk = handler.bytes < SIZE_GOAL_BYTES;
      const importOk = baseline ? ratio < IMPORT_GOAL_RATIO : undefined;
      if (handler.kind === 'api') {
        apiCount += 1;
        if (!sizeOk) apiOverSize += 1;
        if (importOk === false) apiSlow += 1;
        if (baseline) apiRatios.push(ratio);
      }
      detail.push([
        handler.name,
        handler.kind,
        kb(handler.bytes),
        fmt(importMs(handler), 0),
        handler.sdkPackages.map((p) => p.replace('@aws-sdk/', '')).join(', ') || 'none',
        baseline ? kb(baseline.bytes) : '–',
        baseline ? fmt(importMs(baseline), 0) : '–',
        fmt(ratio, 2),
        handler.kind === 'api' ? `${sizeOk ? 'yes' : 'no'} / ${importOk === undefined ? 'n/a' : importOk ? 'yes' : 'no'}` : 'n/a',
      ]);
    }
    const apiHandlers = handlers.filter((h) => h.kind === 'api');
    const largestApi = apiHandlers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const withBaseline = apiHandlers.filter((h) => baselineFor.has(h.sdkPackages.join(' ')));
    const slowest = withBaseline.reduce((a, b) => (importMs(b) > importMs(a) ? b : a));
    const slowestBaseline = baselineFor.get(slowest.sdkPackages.join(' '))!;
    const rows: Row[] = [
      {
        measure: `API bundles under 300 KB (largest: ${largestApi.name})`,
        value: `${apiCount - apiOverSize} of ${apiCount}; largest ${kb(largestApi.bytes)} KB`,
        baseline: `${kb(baselineFor.get(largestApi.sdkPackages.join(' '))?.bytes ?? Number.NaN)} KB`,
        ratio: fmt(ratioOf(largestApi.bytes, baselineFor.get(largestApi.sdkPackages.join(' '))?.bytes ?? Number.NaN), 2),
        goal: 'every API bundle < 300 KB',
        met: metWhen(apiOverSize === 0),
      },
      {
        measure: `API import time, slowest (${slowest.name}), ms`,
        value: fmt(importMs(slowest), 0),
        baseline: fmt(importMs(slowestBaseline), 0),
        ratio: fmt(ratioOf(importMs(slowest), importMs(slowestBaseline)), 2),
        goal: '< 0.33 for every API bundle',
        met: metWhen(apiSlow === 0),
      },
      {
        measure: 'API import time / baseline: median over API bundles with an SDK client',
        value: fmt(median(apiRatios), 2),
        baseline: '1',
        ratio: fmt(median(apiRatios), 2),
        goal: '< 0.33',
        met: metWhen(median(apiRatios) < IMPORT_GOAL_RATIO),
      },
    ];
    return {
      id: 'bundles',
      title: 'Lambda cold start: bundle size and import time',
      method: [
        'Each handler as CDK deploys it: built by a synth with bundling on (a ControlPlaneFunction per handler, scratch cloud assembly), and checked byte for byte against the bundle of infra/bundling.ts\'s options (`npm run bundle`); size of index.mjs in KB (1,000 bytes).',
        `Import time: a fresh \`node --enable-source-maps\` process (as NODE_OPTIONS in the deployed functions) imports the bundle with the functions' environment; median of ${IMPORT_RUNS}, every bundle once per round.`,
        'Baseline: same esbuild options but tree-shaking off, with only `import * as` of every @aws-sdk client package (and lib-dynamodb) that the handler bundle contains; handlers without an SDK client have no baseline.',
      ],
      rows,
      details: table(['function', 'kind', 'bundle KB', 'import ms', 'SDK packages', 'baseline KB', 'baseline import ms', 'import ratio', 'API goals met (size / import)'], detail),
      findings: [
        ...[apiHandlers.find((h) => h.name === 'create-deployment') ?? apiHandlers[0]!, largestApi].map(
          (h) =>
            `${h.name} (${kb(h.bytes)} KB) is mostly: ${h.contributors
              .slice(0, 6)
              .map(([owner, bytes]) => `${owner} ${kb(bytes)} KB`)
              .join(', ')}.`,
        ),
        median(apiRatios) >= 1
          ? 'The baseline (only the SDK clients, whole, not tree-shaken) is smaller and imports faster than our tree-shaken handler bundles: what the handlers carry besides the SDK (above) outweighs what tree-shaking saves, so the 1/3 goal cannot be reached by tree-shaking alone.'
          : `Tree-shaking brings the median API import to ${fmt(median(apiRatios), 2)} of the baseline.`,
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
