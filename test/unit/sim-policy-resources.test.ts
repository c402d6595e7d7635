/** The simulator's PodDisruptionBudget and NetworkPolicy validation, as the API server's (422 causes). */
import { describe, expect, it } from 'vitest';
import { networkpolicies, poddisruptionbudgets } from '../../local/sim/apiserver/policy-resources';
import { findResource } from '../../local/sim/apiserver/resources';
import type { KubeObject } from '../../local/sim/apiserver/types';

const object = (kind: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'x', kind, metadata: { name: 'm', namespace: 'models', uid: 'u' }, spec }) as unknown as KubeObject;
const fields = (errors: { field: string }[] | undefined) => (errors ?? []).map((e) => e.field);

describe('simulated policy/v1 and networking.k8s.io/v1', () => {
  it('are served under their group versions', () => {
    expect(findResource('policy/v1', 'poddisruptionbudgets')?.kind).toBe('PodDisruptionBudget');
    expect(findResource('networking.k8s.io/v1', 'networkpolicies')?.kind).toBe('NetworkPolicy');
  });

  it('PodDisruptionBudget: minAvailable and maxUnavailable exclusive, int-or-percent, eviction policy enum', () => {
    const validate = (spec: Record<string, unknown>) => fields(poddisruptionbudgets.validate?.(object('PodDisruptionBudget', spec), undefined));
    expect(validate({ maxUnavailable: 1, selector: { matchLabels: { a: 'b' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' })).toEqual([]);
    expect(validate({ minAvailable: '50%' })).toEqual([]);
    expect(validate({ minAvailable: 1, maxUnavailable: 1 })).toEqual(['spec']);
    expect(validate({ maxUnavailable: -1 })).toEqual(['spec.maxUnavailable']);
    expect(validate({ maxUnavailable: '150%' })).toEqual(['spec.maxUnavailable']);
    expect(validate({ maxUnavailable: 'one' })).toEqual(['spec.maxUnavailable']);
    expect(validate({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'Never' })).toEqual(['spec.unhealthyPodEvictionPolicy']);
  });

  it('NetworkPolicy: peers are an ipBlock or selectors, CIDRs and ports are checked, policyTypes inferred', () => {
    const validate = (spec: Record<string, unknown>) => fields(networkpolicies.validate?.(object('NetworkPolicy', spec), undefined));
    const rule = (peer: unknown, port: unknown = { protocol: 'TCP', port: 8000 }) => ({ podSelector: {}, ingress: [{ from: [peer], ports: [port] }] });
    expect(validate(rule({ ipBlock: { cidr: '10.0.0.0/16' } }))).toEqual([]);
    expect(validate(rule({ podSelector: { matchLabels: { a: 'b' } } }))).toEqual([]);
    expect(validate(rule({ ipBlock: { cidr: '10.0.0.0/16' }, podSelector: {} }))).toEqual(['spec.ingress[0].from[0]']);
    expect(validate(rule({ ipBlock: { cidr: '10.0.0.300/16' } }))).toEqual(['spec.ingress[0].from[0].ipBlock.cidr']);
    expect(validate(rule({ ipBlock: { cidr: '10.0.0.0/16' } }, { protocol: 'ICMP', port: 8000 }))).toEqual(['spec.ingress[0].ports[0].protocol']);
    expect(validate(rule({ ipBlock: { cidr: '10.0.0.0/16' } }, { port: 70000 }))).toEqual(['spec.ingress[0].ports[0].port']);
    expect(validate({ podSelector: {}, policyTypes: ['Ingress', 'Sideways'] })).toEqual(['spec.policyTypes[1]']);
    const defaulted = object('NetworkPolicy', { ingress: [] });
    networkpolicies.defaults?.(defaulted, { now: '', allocateServiceIp: () => '' }, undefined);
    expect(defaulted.spec).toMatchObject({ podSelector: {}, policyTypes: ['Ingress'] });
  });
});
