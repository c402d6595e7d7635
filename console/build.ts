/**
 * Bundles the console (console/src, Preact + uPlot) with esbuild into the files a browser
 * loads: `index.html` at `/`, `console/app.js` and `console/app.css`. The local cloud builds it
 * in memory on the first request (local/gateway/console.ts); the CDK app writes it to a folder
 * the S3 deployment uploads (infra/constructs/console.ts). `config.json` is not part of it:
 * each host writes its own.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions, type OutputFile } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface ConsoleFile {
  /** Path under the site root, without the leading slash: `index.html`, `console/app.js`, … */
  readonly path: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

const options: BuildOptions = {
  entryPoints: { app: join(HERE, 'src/app.tsx') },
  outdir: join(HERE, 'out'),
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2022', 'chrome120', 'firefox120', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  write: false,
  logLevel: 'silent',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};
export const contentTypeOf = (path: string): string => CONTENT_TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';

const toFiles = (outputs: readonly OutputFile[]): ConsoleFile[] => [
  { path: 'index.html', contentType: contentTypeOf('.html'), body: readFileSync(join(HERE, 'index.html')) },
  ...outputs.map((o) => {
    const path = `console/${o.path.slice(o.path.lastIndexOf('/') + 1)}`;
    return { path, contentType: contentTypeOf(path), body: o.contents };
  }),
];

export const buildConsole = async (): Promise<ConsoleFile[]> => toFiles((await build(options)).outputFiles ?? []);

/** Synchronous, for the CDK app (synth is synchronous): writes the files under `outDir` and returns it. */
export const writeConsoleSync = (outDir: string): string => {
  const out = resolve(outDir);
  for (const file of toFiles(buildSync(options).outputFiles ?? [])) {
    mkdirSync(dirname(join(out, file.path)), { recursive: true });
    writeFileSync(join(out, file.path), file.body);
  }
  return out;
};
