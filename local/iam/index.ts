/** Local IAM: the synthesized template's policies, evaluated at every local AWS endpoint (docs/local-iam.md). */
export { loadLocalPrincipals, principalsFromTemplate, type IamPrincipal, type LocalIamOptions, type LocalPrincipals, type PolicyStatement } from './principals';
export { loadTemplate, templateInputsHash } from './synth';
