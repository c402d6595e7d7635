/**
 * The model NetworkPolicies admit the API server from the cluster's subnets: the functions that
 * render them get MODEL_INGRESS_CIDRS, the new VPC's CIDR by default, the operator's ranges from
 * context, and an imported cluster without them is warned about at synth.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { VPC_CIDR } from '../../infra/constructs/new-cluster';
import { MODEL_INGRESS_FUNCTIONS } from '../../infra/stack';
import { IMPORT_MODE, synthesize } from './template';

const ingressOf = (synth: ReturnType<typeof synthesize>, name: string): unknown =>
  synth.functionProps(name).Environment?.Variables?.MODEL_INGRESS_CIDRS;

describe('model ingress ranges', () => {
  it('default mode: the new VPC\'s CIDR, on exactly the functions that render NetworkPolicies', () => {
    const synth = synthesize();
    for (const name of MODEL_INGRESS_FUNCTIONS) expect(ingressOf(synth, name), name).toBe(VPC_CIDR);
    expect(ingressOf(synth, 'get-deployment')).toBeUndefined();
  });

  it('context modelIngressCidrs wins, in either mode', () => {
    const synth = synthesize({ ...IMPORT_MODE, modelIngressCidrs: '10.1.0.0/20,10.1.16.0/20' });
    for (const name of MODEL_INGRESS_FUNCTIONS) expect(ingressOf(synth, name)).toBe('10.1.0.0/20,10.1.16.0/20');
  });

  it('an imported cluster without the context gets a synth warning and the function default', () => {
    const synth = synthesize(IMPORT_MODE);
    expect(ingressOf(synth, 'apply-workload')).toBeUndefined();
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('modelIngressCidrs is not set'));
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('refuses a malformed range naming the context key', () => {
    expect(() => synthesize({ modelIngressCidrs: '10.1.0.0' })).toThrow(/modelIngressCidrs has an invalid entry "10.1.0.0"/);
  });
});
