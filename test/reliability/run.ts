/**
 * `npm run reliability`: runs the reliability suites (long fuzz mode) with vitest, collects
 * the figures they record (test/reliability/figures.ts) and rewrites docs/reliability.md.
 *
 *   FUZZ_RUNS   API fuzz requests (default 10000; `npm test` runs 600)
 *   FUZZ_SEED   fast-check seed (default: random, printed in the report)
 *   CHAOS_DEPLOYMENTS  deployments the chaos scenario drives at once (default 24: 8 per GPU config fit its 16 GPUs at 2 replicas; `npm test` runs 6)
 *
 *   --only chaos   runs only the chaos suite and replaces the chaos sections of the existing
 *                  docs/reliability.md (the other figures keep their last run)
 *
 * Exits non-zero when a suite failed; the report is written either way and says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFigures } from './figures';
import { CHAOS_END, CHAOS_START, renderChaos } from './chaos-report';
import { expectedLeaks } from './chaos-leaks';
import { ENFORCEMENT } from './enforcement';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const DOC = join(ROOT, 'docs', 'reliability.md');
const FUZZ_RUNS = process.env.FUZZ_RUNS ?? '10000';
const CHAOS_DEPLOYMENTS = process.env.CHAOS_DEPLOYMENTS ?? '24';
const CHAOS_FILE = 'test/integration/chaos.test.ts';
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;

interface Suite {
  file: string;
  what: string;
  /** run only when the file exists (suites other branches add) */
  optional?: boolean;
}

/** One line per suite; a new one (e.g. secret-hygiene.test.ts) is one more line. */
const SUITES: readonly Suite[] = [
  { file: 'test/integration/api-fuzz.test.ts', what: 'API fuzzing (fast-check), every route and below HTTP' },
  { file: 'test/integration/api-bad-input.test.ts', what: 'bad input, by hand' },
  { file: 'test/integration/api-gateway.test.ts', what: 'the gateway: routing, JWT, bodies, hostile clients' },
  { file: 'test/integration/races.test.ts', what: 'races: names, scales, scale vs delete, mixed sizes for the last GPUs' },
  { file: 'test/integration/workflow-capacity.test.ts', what: 'races: equal deploys for the last GPUs; safe scale-in' },
  { file: 'test/integration/workflow-conflicts.test.ts', what: 'a delete superseding a running deploy; scale conflicts' },
  { file: 'test/integration/crash-restart.test.ts', what: 'SIGKILL of npm start mid-operation, restart on the same DATA_DIR' },
  { file: 'test/integration/workflow-restart.test.ts', what: 'in-process restart mid-deploy' },
  { file: 'test/integration/tenant-isolation.test.ts', what: 'tenant isolation matrix over ROUTES' },
  { file: 'test/integration/idempotency.test.ts', what: 'Idempotency-Key on deploy' },
  { file: 'test/integration/secret-hygiene.test.ts', what: 'hf_token in no response, log line or execution history', optional: true },
  { file: CHAOS_FILE, what: 'chaos: deploy, scale, pause, resume, delete under injected faults; nothing leaked' },
];

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; status: string; startTime: number; endTime: number; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();

const main = (): number => {
  if (ONLY !== undefined && ONLY !== 'chaos') throw new Error(`--only: only 'chaos' can run alone, got ${ONLY}`);
  const suites = SUITES.filter((s) => (!s.optional || existsSync(join(ROOT, s.file))) && (ONLY === undefined || s.file === CHAOS_FILE));
  const work = mkdtempSync(join(tmpdir(), 'reliability-'));
  const figuresDir = join(work, 'figures');
  const report = join(work, 'vitest.json');
  const started = new Date();
  const command = ONLY ? `CHAOS_DEPLOYMENTS=${CHAOS_DEPLOYMENTS} npm run reliability -- --only chaos` : `FUZZ_RUNS=${FUZZ_RUNS} CHAOS_DEPLOYMENTS=${CHAOS_DEPLOYMENTS} npm run reliability`;
  console.log(`reliability: ${suites.length} suites, FUZZ_RUNS=${FUZZ_RUNS}`);
  const run = spawnSync(process.execPath, [VITEST, 'run', ...suites.map((s) => s.file), '--reporter=default', '--reporter=json', `--outputFile=${report}`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS, CHAOS_DEPLOYMENTS, RELIABILITY_FIGURES_DIR: figuresDir },
  });
  const seconds = (Date.now() - started.getTime()) / 1000;
  const results = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as VitestJson) : undefined;
  const figures = (suite: string) => readFigures(figuresDir, suite) ?? {};
  const full = render({ suites, results, figures, command, started, seconds, vitestStatus: run.status });
  writeFileSync(DOC, ONLY && existsSync(DOC) ? spliceChaos(readFileSync(DOC, 'utf8'), full) : full);
  rmSync(work, { recursive: true, force: true });
  console.log(`reliability: wrote ${DOC}`);
  return run.status === 0 && results !== undefined && results.numFailedTests === 0 ? 0 : 1;
};

/**
 * `--only chaos`: the chaos and enforcement sections of the new report replace those of the
 * existing one (inserted before "## Suites" when it has none yet), and so do the summary's chaos
 * rows; the rest keeps its last run.
 */
const spliceChaos = (existing: string, full: string): string => {
  const section = full.slice(full.indexOf(CHAOS_START), full.indexOf(CHAOS_END) + CHAOS_END.length);
  const summaryRows = new Map(full.split('\n').filter((line) => line.startsWith('| chaos: ')).map((line) => [line.slice(0, line.lastIndexOf(' | ')), line]));
  const withRows = existing
    .split('\n')
    .map((line) => summaryRows.get(line.slice(0, line.lastIndexOf(' | '))) ?? line)
    .join('\n');
  const start = withRows.indexOf(CHAOS_START);
  const end = withRows.indexOf(CHAOS_END);
  if (start >= 0 && end > start) return withRows.slice(0, start) + section + withRows.slice(end + CHAOS_END.length);
  const suites = withRows.indexOf('## Suites');
  return suites >= 0 ? `${withRows.slice(0, suites)}${section}\n\n${withRows.slice(suites)}` : `${withRows.trimEnd()}\n\n${section}\n`;
};

// ---------------------------------------------------------------------------------------------
// The report

interface RenderInput {
  suites: readonly Suite[];
  results: VitestJson | undefined;
  figures: (suite: string) => Record<string, any>;
  command: string;
  started: Date;
  seconds: number;
  vitestStatus: number | null;
}

const table = (header: string[], rows: (string | number)[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const count5xx = (byStatus: Record<string, number> | undefined) =>
  Object.entries(byStatus ?? {}).filter(([s]) => Number(s) >= 500 || s === '0').reduce((a, [, n]) => a + n, 0);
const sorted = (o: Record<string, number> | undefined) => Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b));

const render = ({ suites, results, figures, command, started, seconds, vitestStatus }: RenderInput): string => {
  const fuzz = figures('fuzz');
  const raw = figures('fuzz-raw');
  const gatewayFuzz = figures('fuzz-gateway');
  const races = figures('races');
  const crash = figures('crash');
  const isolation = figures('isolation');
  const chaos = figures('chaos');
  const chaosPassed = (() => {
    const r = results?.testResults.find((x) => x.name.endsWith(CHAOS_FILE));
    return r ? r.assertionResults.every((a) => a.status === 'passed') : undefined;
  })();
  const commit = git('rev-parse', '--short=12', 'HEAD');
  const dirty = git('status', '--porcelain').length > 0 ? ' (with uncommitted changes)' : '';
  const cpu = cpus();
  const resultOf = (file: string) => results?.testResults.find((r) => r.name.endsWith(file));
  const passedOf = (file: string) => resultOf(file)?.assertionResults.filter((a) => a.status === 'passed').length ?? 0;
  const failedOf = (file: string) => resultOf(file)?.assertionResults.filter((a) => a.status === 'failed').length ?? 0;
  const raceList = (races.races ?? []) as { race: string; requests: number; outcomes: Record<string, number>; consistent: boolean }[];
  const crashList = (crash.crashes ?? []) as { when: string; outcome: string; convergedSeconds: number; leaks: number }[];
  const fiveXx = count5xx(fuzz.byStatus) + count5xx(raw.byStatus) + count5xx(gatewayFuzz.byStatus);
  const leaks = crashList.reduce((a, c) => a + c.leaks, 0);
  const failed = results === undefined ? 'unknown (vitest wrote no report)' : String(results.numFailedTests);
  const hygiene = suites.find((s) => s.file.endsWith('secret-hygiene.test.ts'));

  return `# Reliability

Generated by \`${command}\` (test/reliability/run.ts): do not edit by hand, run it again.

- date: ${started.toISOString()}; took ${Math.round(seconds)} s
- commit: \`${commit}\`${dirty}
- machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}
- tests: ${results?.numPassedTests ?? 0} passed, ${failed} failed (vitest exit ${vitestStatus})

## Figures

${table(
  ['figure', 'value'],
  [
    ['API requests tried by the fuzzer (every route)', fuzz.requests ?? 0],
    ['malformed HTTP messages tried (below the router)', raw.requests ?? 0],
    ['inference gateway requests tried by the fuzzer (keys of three projects, any path and body)', gatewayFuzz.requests ?? 0],
    ['gateway: 4xx not in OpenAI\'s shape, or another project\'s key answered', gatewayFuzz.violations?.length ?? '?'],
    ['5xx seen', fiveXx],
    ['4xx that were not `{code, message}`', (fuzz.contractViolations?.length ?? 0) + (raw.contractViolations?.length ?? 0)],
    ['store exact after the fuzzer (no record, name claim, GPU, node or object left)', fuzz.storeExactAfterCleanup === true ? 'yes' : 'no'],
    ['races run', raceList.length],
    ['races that ended inconsistent', raceList.filter((r) => !r.consistent).length],
    ['highest GPU ledger seen under the capacity race / limit', `${races.ledgerMax ?? '?'} / ${races.ledgerLimit ?? '?'}`],
    ['SIGKILLs survived (restart on the same DATA_DIR, converged)', crashList.length],
    ['leaks after the restarts (pods, nodes, desired size, ledger off)', leaks],
    ['tenant isolation cases checked (routes)', `${isolation.cases ?? 0} (${isolation.routes ?? 0})`],
    ['isolation cases with another answer than designed', isolation.mismatches ?? '?'],
    ['chaos: operations that reached their resting state / attempted, under injected faults', `${(chaos.operations ?? []).filter((o: { outcome: string }) => o.outcome === 'ok').length} / ${(chaos.operations ?? []).length}`],
    ['chaos: faults fired / leaks after convergence', `${Object.values((chaos.faultsFired ?? {}) as Record<string, number>).reduce((a, n) => a + n, 0)} / ${chaos.leaks ? expectedLeaks(chaos.leaks) : '?'}`],
    ['log lines and executions searched for the bearer token', `${crash.logLinesChecked ?? 0} lines, ${crash.executionsChecked ?? 0} executions: ${crash.tokenInLogsOrHistory === 0 ? 'not found' : 'FOUND'}`],
  ],
)}

## API fuzzing

\`test/reliability/fuzz.ts\`, run by \`test/integration/api-fuzz.test.ts\` against the local API gateway
of a private local cloud. fast-check generates, for every route of \`ROUTES\`: valid, percent-encoded
unicode, raw reserved, badly escaped and huge path segments; trailing and doubled slashes; other
methods; random and known query keys with bad values; callers (editor, viewer, other org, other
project, expired, foreign key, unsigned, tampered, no token); content types; \`Idempotency-Key\`
values; and bodies: deploy bodies built from catalog and inventory, the same with one field
replaced by arbitrary JSON, scale bodies, arbitrary JSON, truncated JSON, nesting up to 200,000
levels, random bytes, invalid UTF-8 inside JSON, JSON just under 1 MB, bodies over 1 MB,
\`__proto__\` and duplicate keys. The zod schema is the oracle: an authorised, well-addressed deploy
whose body \`createDeploymentSchema\` rejects must be a 400. What the fuzzer creates lives on for the
other routes (at most 3 at a time), then everything is deleted and the store checked exact.
A second property sends messages Node's HTTP parser rejects (bad request line, header name,
chunk size, content length, both framings, 20-100 KB headers, random bytes).

- runs: ${fuzz.runs ?? '?'} API requests (seed ${fuzz.seed ?? '?'}, ${fuzz.seconds ?? '?'} s), ${raw.runs ?? '?'} raw messages; requests node:http refused to send: ${fuzz.refusedByClient ?? 0}
- deployments the fuzzer created: ${fuzz.created ?? 0}; scales accepted: ${fuzz.scaled ?? 0}; deletes accepted: ${fuzz.deleted ?? 0}

${table(['status', 'API requests', 'raw HTTP'], [...new Set([...Object.keys(fuzz.byStatus ?? {}), ...Object.keys(raw.byStatus ?? {})])].sort().map((s) => [s, fuzz.byStatus?.[s] ?? 0, raw.byStatus?.[s] ?? 0]))}

${table(['route', 'requests'], sorted(fuzz.byRoute).map(([k, v]) => [k, v]))}

${table(['body', 'requests'], [...sorted(fuzz.byBodyKind), ...sorted(raw.byKind)].map(([k, v]) => [k, v]))}

${(fuzz.serverErrors?.length ?? 0) + (raw.serverErrors?.length ?? 0) > 0 ? `### 5xx found in this run\n\n${[...(fuzz.serverErrors ?? []), ...(raw.serverErrors ?? [])].map((e: { request: string; status: number; body: string }) => `- ${e.status}: \`${e.request}\` -> \`${e.body}\``).join('\n')}\n` : 'No 5xx in this run.'}

Found by the fuzzer and fixed (each has a regression test in api-fuzz.test.ts):
- a valid deploy body of 300 KB-1 MB (an unknown key under the loose \`config\`) passed the gateway's
  1 MB limit and failed in DynamoDB (400 KB per item) as a 500; \`parseJsonBody\` now answers 413
  above 64 KiB (functions/commons/json-body.ts);
- a message Node's parser rejects got Node's bare \`400 Bad Request\` without a body; the gateway now
  answers \`{code, message}\` (400, 431 for oversized headers, 408 for a stalled client) and closes.

## Races

${table(['race', 'requests', 'outcomes', 'consistent after'], raceList.map((r) => [r.race, r.requests, Object.entries(r.outcomes).map(([k, v]) => `${k}: ${v}`).join(', '), r.consistent ? 'yes' : 'NO']))}

Consistent means: exactly the records the 201s announced, the ledger equal to what the live
records hold (sampled every 10 ms during the capacity race: never above the limit), and after the
deletes no pod, node, desired size, reservation or name claim left. workflow-capacity.test.ts
(equal 4-GPU deploys for the last GPUs, safe scale-in) and workflow-conflicts.test.ts (a delete
superseding a deploy at any moment) run in the same report: see the suites below.

Found by the race test and fixed: 50 concurrent creates of one name gave six 201s. A create that
lost the name claim took it over when the holder's record did not exist yet, which is also the case
while the holder is still between its claim and its record write; now a claim is only taken over
when it is older than any request can run (5 minutes, \`NAME_CLAIM_GRACE_MS\` in
functions/adapters/deployment-names.ts).

Known gap, not fixed here: GPUs are reserved before the name is claimed, so in a name stampede some
losers are refused for capacity (also 409 conflict) while other losers briefly hold a GPU; and the
ledger charges replicas what first-fit-decreasing packing needs while the scheduler places pods in
arrival order, so a mix of sizes within the limit can leave a large replica Unschedulable (it then
fails cleanly and gives its GPUs back; admitted-but-unschedulable in this run: ${races.admittedButUnschedulable ?? '?'}).

## Crash and restart (SIGKILL)

\`test/support/child-cloud.ts\` starts \`tsx local/main.ts\` with DATA_DIR, PORT=0, GATEWAY_PORT=0 and SIM_TIME_SCALE=0.02
in its own process group, as \`npm start\` runs it, and kills the group with SIGKILL (tsx runs the
script in a child process of its own; a kill of tsx alone would leave the cloud running and its
LevelDB locked). It is started again on the same DATA_DIR; the test then waits for convergence and
checks pods, instances, desired size and ledger against what the surviving deployments need.
Processes started: ${crash.starts ?? '?'}, killed: ${crash.kills ?? '?'}.

${table(['killed', 'converged to', 'seconds to converge after the restart', 'leaks'], crashList.map((c) => [c.when, c.outcome, c.convergedSeconds, c.leaks]))}

A kill right after the 201 of a deploy converges either way: \`ready\` when the local Step Functions
had written the execution's file (it resumes it from the start after the restart), \`failed\` with
\`WorkflowLost\` when the kill came first (the file is written just after StartExecution answers),
which the reconcile notices 120 cluster seconds later, and then the record stays, its Kubernetes
objects are deleted and its GPUs given back. In AWS a StartExecution that answered is durable.

## Tenant isolation

\`test/integration/tenant-isolation.test.ts\` iterates \`ROUTES\` (a new route is covered without
editing the test): tenant A's deployment against another org, the same project name in another
org, another project of the same org, an expired token, a token signed with another key, \`alg:
none\`, no token, and A's viewer; then tenant B naming A's deployment id under its own path, with
a body that passes validation (the route's entry in the test's \`ROUTE_NEEDS\`), so its 404 can
only come from tenancy. Designed answers: 401 for a bad credential, 404 for another tenant, 403
for a viewer's write, and no body carrying A's name, execution, creation time or endpoint.
Public routes (\`public: true\`: the API's description) answer 200 to any token or none and carry
nothing of A or B; the catalog admin routes (org-independent writes) answer 403 to every
non-admin token, 401 to a bad credential, and succeed for an admin of another org.

${table(['expected status', 'cases'], sorted(isolation.byExpectedStatus).map(([k, v]) => [k, v]))}

## Idempotency-Key (POST deploy)

\`functions/commons/idempotency.ts\`, Powertools idempotency with its DynamoDB persistence layer on
the one table (item \`pk = IDEMPOTENCY#create-deployment\`, \`sk = create-deployment#<sha256>\`,
\`expires_at\` TTL 24 h), as the innermost middy middleware of create-deployment.ts:

- the key is scoped to the tenant (caller's org, path org and project, header) and the caller is
  authorised before any record is read: another org or a viewer never receives a stored response;
- a retry with the same key and the same body bytes returns the first response (status, headers,
  body, plus \`idempotency-replayed: true\`) and creates nothing;
- the same key with another body: **422** \`invalid_request\` ("Idempotency-Key was already used with
  a different request body"), following the IETF Idempotency-Key draft; the same key while the first
  request runs: 409 \`conflict\`; a key that is not 1-255 printable ASCII: 400;
- only success is stored: a 4xx deletes the in-progress record, so the corrected retry runs
  (Powertools' own middleware would also delete the *first* request's record when a later request
  fails validation; the wrapper only lets the request that wrote the record delete it);
- \`?dry_run=true\` neither reads nor consumes the key.

## Secret hygiene

The crash test runs the child cloud with \`POWERTOOLS_LOG_LEVEL=DEBUG\` and the access log on and
searches every line it wrote, and every execution's input, output and history, for the bearer token,
each of its three parts, any JWT and \`bearer\`/\`authorization\`: ${crash.logLinesChecked ?? 0} lines and
${crash.executionsChecked ?? 0} executions, ${crash.tokenInLogsOrHistory === 0 ? 'nothing found' : 'FOUND'}. workflow-conflicts.test.ts does the same
for the executions of the in-process cloud.
${hygiene ? `secret-hygiene.test.ts (hf_token in every response, log line and execution history) ran: see the suites.` : 'secret-hygiene.test.ts (hf_token) is not on this branch yet; the runner includes it as soon as the file exists.'}

${CHAOS_START}
${renderChaos(figures('chaos'), { command, commit: commit + dirty, date: started.toISOString(), passed: chaosPassed })}

${ENFORCEMENT}
${CHAOS_END}

## Suites

${table(['suite', 'what', 'passed', 'failed', 'seconds'], suites.map((s) => {
    const r = resultOf(s.file);
    return [`\`${s.file}\``, s.what, passedOf(s.file), failedOf(s.file), r ? Math.round((r.endTime - r.startTime) / 100) / 10 : 'not run'];
  }))}

${results && results.numFailedTests > 0 ? `### Failures\n\n${results.testResults.flatMap((r) => r.assertionResults.filter((a) => a.status === 'failed').map((a) => `- ${r.name.replace(ROOT + '/', '')}: ${a.title}: ${a.failureMessages[0]?.split('\n')[0]?.slice(0, 300) ?? ''}`)).join('\n')}\n` : ''}
\`npm test\` runs the same files in their bounded mode (FUZZ_RUNS=600).
`;
};

process.exit(main());
