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
      name: 'functions-not-outward',
      severity: 'error',
      comment: 'Lambda code depends on the contract, never on the stack, the local cloud, the CLI or the tests.',
      from: { path: '^functions/' },
      to: { path: '^(infra|local|cli|test)/' },
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
