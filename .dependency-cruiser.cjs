// Layer rules of functions/domain, functions/ and the shared contract/, checked on every `npm test`
// through `npm run lint`. Paths are relative to the repository root. Type-only imports count too: none is exempt from no-circular.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: the modules cannot be understood, tested or loaded one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'functions/domain holds pure rules: no adapters, use cases, entry points or commons.',
      from: { path: '^functions/domain/' },
      to: { path: '^functions/(adapters|use-cases|api|workflow|scheduled|commons)/' },
    },
    {
      name: 'domain-no-sdk',
      severity: 'error',
      comment: 'functions/domain calls no cloud SDK and no logger; adapters and commons do.',
      from: { path: '^functions/domain/' },
      to: { path: 'node_modules/(@aws-sdk/|@aws-lambda-powertools/)' },
    },
    {
      name: 'domain-no-kubernetes-client',
      severity: 'error',
      comment: 'functions/domain may name Kubernetes object types (V1Pod: the data it renders and reads; erased at build time) but never loads the client.',
      from: { path: '^functions/domain/' },
      to: { path: 'node_modules/@kubernetes/client-node', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'use-cases-through-ports',
      severity: 'error',
      comment:
        'Use cases, commons and the ports reach the world only through the ports (functions/ports.ts) they are given: no adapter, no wiring. ' +
        'That is what lets every use case run on the in-memory ports in a unit test.',
      from: { path: '^functions/(use-cases|commons|ports\\.ts)' },
      to: { path: '^functions/(adapters|wiring)/' },
    },
    {
      name: 'entries-wire-through-wiring',
      severity: 'error',
      comment: 'API handlers, workflow tasks and scheduled handlers get their adapters from functions/wiring/ (one module per port), never directly.',
      from: { path: '^functions/(api|workflow|scheduled)/' },
      to: { path: '^functions/adapters/' },
    },
    {
      name: 'wiring-only-at-entries',
      severity: 'error',
      comment: 'The production ports are plugged in once, at an entry point (or by a test of the real adapters), nowhere below.',
      from: { path: '^functions/', pathNot: '^functions/(api|workflow|scheduled|wiring)/' },
      to: { path: '^functions/wiring/' },
    },
    {
      name: 'functions-not-outward',
      severity: 'error',
      comment: 'Lambda code depends on the contract, never on the stack, the local cloud, the CLI or the tests.',
      from: { path: '^functions/' },
      to: { path: '^(infra|local|cli|test)/' },
    },
    {
      name: 'gateway-uses-the-control-plane-core',
      severity: 'error',
      comment:
        'The inference gateway (gateway/) is an entry point like a Lambda: it may use the ports, domain, use cases, commons and wiring of functions/ and the contract, ' +
        'never an adapter directly, an API or workflow handler, the stack, the local cloud, the CLI or the tests.',
      from: { path: '^gateway/' },
      to: { path: '^(functions/(adapters|api|workflow|scheduled)/|infra/|local/|cli/|test/|scripts/|console/)' },
    },
    {
      name: 'nothing-imports-the-gateway',
      severity: 'error',
      comment: 'The gateway is a process of its own: only the local cloud (which runs it) and the tests import it.',
      from: { pathNot: '^(gateway|local|test)/' },
      to: { path: '^gateway/' },
    },
    {
      name: 'contract-is-shared',
      severity: 'error',
      comment:
        'contract/ sits below functions, infra, local and the CLI, which all import it: routes, request and response schemas, error codes, ' +
        'table, workflows, schedules, catalog and the OpenAPI generator. What needs domain logic checks the parsed request in functions/domain.',
      from: { path: '^contract/' },
      to: { path: '^(functions|infra|local|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|dist|\\.data|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
