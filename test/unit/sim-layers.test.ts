/**
 * The simulator's layering, checked from its import statements (docs/simulator.md "Layout"):
 * no import cycles (type-only imports included: a cycle of types is still a circle to read),
 * and each folder imports only the layers below it, as Kubernetes' components do. The rules
 * are data; a new import across layers fails here until the rule or the code changes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SIM = join(__dirname, '../../local/sim');

/** A file's layer: its first folder under local/sim; root files are `shared` leaves, index.ts is the `entry`. */
type Layer = 'entry' | 'shared' | 'apiserver' | 'controllers' | 'scheduler' | 'kubelet' | 'aws' | 'runtime' | 'server' | 'network';

const layerOf = (file: string): Layer => {
  const parts = file.split('/');
  if (parts.length === 1) return file === 'index.ts' ? 'entry' : 'shared';
  return parts[0] as Layer;
};

/** Layers each layer may import (its own always allowed). */
export const LAYER_RULES: Record<Layer, readonly Layer[]> = {
  // The public entry composes everything.
  entry: ['shared', 'apiserver', 'controllers', 'scheduler', 'kubelet', 'aws', 'runtime', 'server', 'network'],
  // The HTTP front routes to every API the simulator serves; it reaches the World through runtime.
  server: ['shared', 'apiserver', 'controllers', 'scheduler', 'kubelet', 'aws', 'runtime'],
  // The composition root: the reconcile loop calls each component with the context.
  runtime: ['shared', 'apiserver', 'controllers', 'scheduler', 'kubelet', 'aws'],
  // Components see the API server (and shared leaves), never each other nor the World.
  controllers: ['shared', 'apiserver'],
  scheduler: ['shared', 'apiserver'],
  kubelet: ['shared', 'apiserver'],
  // The Service network (kube-proxy and NetworkPolicy): Services and policies from the API server, the pods' servers from the kubelet.
  network: ['shared', 'apiserver', 'kubelet'],
  aws: ['shared', 'apiserver'],
  // Leaves: context, ids, http, config, fault rules. They may name API types.
  shared: ['apiserver'],
  // kube-apiserver knows no component: only the shared leaves below.
  apiserver: [],
};

/** Imports across layers that the rules above forbid but the design allows, each with its reason. */
export const SEAMS: readonly { from: Layer; to: string; why: string }[] = [
  { from: 'apiserver', to: 'ids.ts', why: 'uids, timestamps, name suffixes' },
  { from: 'apiserver', to: 'http.ts', why: 'the request and response shapes of the HTTP front' },
  { from: 'shared', to: 'aws/state.ts', why: 'SimState (context.ts) is made of each component slice type' },
  { from: 'shared', to: 'kubelet/state.ts', why: 'SimState (context.ts) is made of each component slice type' },
  { from: 'shared', to: 'controllers/state.ts', why: 'SimState (context.ts) is made of each component slice type' },
  { from: 'controllers', to: 'scheduler/predicates.ts', why: 'the DaemonSet controller filters nodes with the scheduler predicates (upstream: component-helpers/scheduling)' },
];

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return name.endsWith('.ts') ? [relative(SIM, path).split('\\').join('/')] : [];
  });

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of `file` that land inside local/sim, as paths relative to it. */
const importsOf = (file: string, source: string): string[] => {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec.replace(/\.js$/, ''))).split('\\').join('/') + '.ts';
    if (target.startsWith('..')) continue;
    out.push(target);
  }
  return out;
};

export type Graph = Map<string, string[]>;

const simGraph = (): Graph => new Map(walk(SIM).map((f) => [f, importsOf(f, readFileSync(join(SIM, f), 'utf8'))]));

/** Strongly connected components with more than one file (or a file importing itself). */
export const cyclesOf = (graph: Graph): string[][] => {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
};

/** Every import that breaks the layer rules, as `from -> to`. */
export const violationsOf = (graph: Graph): string[] => {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    for (const to of targets) {
      const target = layerOf(to);
      if (target === layer || LAYER_RULES[layer].includes(target)) continue;
      if (SEAMS.some((s) => s.from === layer && s.to === to)) continue;
      out.push(`${from} -> ${to}`);
    }
  }
  return out.sort();
};

describe('simulator layers', () => {
  const graph = simGraph();

  it('reads every file of local/sim and resolves its imports to existing files', () => {
    expect(graph.size).toBeGreaterThan(50);
    const missing = [...graph].flatMap(([f, ts]) => ts.filter((t) => !graph.has(t)).map((t) => `${f} -> ${t}`));
    expect(missing).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('keeps each folder to the layers below it', () => {
    expect(violationsOf(graph)).toEqual([]);
  });

  it('no component imports the World (runtime/world.ts); only runtime, server and the entry do', () => {
    const importers = [...graph].filter(([, ts]) => ts.includes('runtime/world.ts')).map(([f]) => f);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !['entry', 'server', 'runtime'].includes(layerOf(f)))).toEqual([]);
  });

  it('the checks fail on a violation: a controller importing the World, and a two-file circle', () => {
    const bad: Graph = new Map(graph);
    bad.set('controllers/deployment.ts', [...(graph.get('controllers/deployment.ts') ?? []), 'runtime/world.ts']);
    expect(violationsOf(bad)).toContain('controllers/deployment.ts -> runtime/world.ts');
    bad.set('apiserver/types.ts', [...(graph.get('apiserver/types.ts') ?? []), 'apiserver/store.ts']);
    expect(cyclesOf(bad).some((c) => c.includes('apiserver/types.ts') && c.includes('apiserver/store.ts'))).toBe(true);
  });
});
