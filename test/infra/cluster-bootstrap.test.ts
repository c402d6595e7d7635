/**
 * The cluster bootstrap is applied by the stack (aws-review M1): in the new-cluster mode the
 * kubectl provider applies exactly contract/cluster-manifests.ts (namespace first), the
 * provider is a cluster admin through its own access entry, and the workflow roles carry the
 * group the ClusterRoleBinding names; in the import mode nothing is applied and synth says what
 * to do.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_GROUP } from '../../infra/constructs/cluster';
import { clusterBootstrapManifests } from '../../contract/cluster-manifests';
import { IMPORT_MODE, synthesize, type Json, type Synthesized } from './template';

const MANIFEST = 'Custom::AWSCDK-EKS-KubernetesResource';

/** The objects a KubernetesManifest resource applies, without the prune label aws-eks-v2 adds. */
const appliedObjects = (resource: Json): Json[] =>
  (JSON.parse(resource.Properties.Manifest as string) as Json[]).map((object) => {
    const labels = Object.fromEntries(Object.entries(object.metadata.labels ?? {}).filter(([key]) => !key.startsWith('aws.cdk.eks/prune-')));
    return { ...object, metadata: { ...object.metadata, labels } };
  });

describe('cluster bootstrap, new cluster', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({ modelNamespace: 'llm' });
  }, 180_000);

  it('applies every bootstrap object through the kubectl provider, the namespace before the rest', () => {
    // The bootstrap's own manifests (the inference gateway applies its workload beside them).
    const manifests = s.ofType(MANIFEST).filter(([id]) => id.startsWith('ClusterBootstrap'));
    expect(manifests).toHaveLength(2);
    const [namespaceId, namespace] = manifests.find(([, r]) => appliedObjects(r)[0]?.kind === 'Namespace') ?? ['', {}];
    const [, rest] = manifests.find(([id]) => id !== namespaceId) ?? ['', {}];
    const expected = clusterBootstrapManifests('llm');
    expect([...appliedObjects(namespace), ...appliedObjects(rest)]).toEqual(expected.map((o) => ({ ...o, metadata: { ...o.metadata, labels: o.metadata.labels ?? {} } })));
    expect(rest.DependsOn).toEqual(expect.arrayContaining([namespaceId]));
    for (const [, r] of manifests) expect(r.Properties.Overwrite).toBe(true);
  });

  it('binds exactly the cluster-scoped calls of the code to the workflow group, and grants nothing namespaced beyond the access policies', () => {
    const objects = clusterBootstrapManifests('llm');
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole');
    expect(clusterRole?.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['llm'] },
    ]);
    expect(objects.find((o) => o.kind === 'ClusterRoleBinding')?.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: KUBERNETES_GROUP }]);
    // The model namespace's permissions come from the EKS access policies alone (the sweeper's pods/proxy from AmazonEKSEditPolicy).
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    expect(objects.find((o) => o.kind === 'StorageClass')).toMatchObject({ provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3', encrypted: 'true' }, volumeBindingMode: 'WaitForFirstConsumer' });
  });

  it('gives the kubectl provider cluster-admin through its own access entry, and runs it in the private subnets', () => {
    s.template.hasResourceProperties('AWS::EKS::AccessEntry', {
      AccessPolicies: [Match.objectLike({ AccessScope: { Type: 'cluster' }, PolicyArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']) ] }) })],
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KubectlProvider.*Role'), 'Arn'] },
    });
    const handler = s.ofType('AWS::Lambda::Function').find(([id]) => /KubectlProviderHandler[0-9A-F]{8}$/.test(id));
    expect(handler?.[1].Properties.VpcConfig.SubnetIds.length).toBeGreaterThan(0);
  });

  it('warns at synth that people have no kubectl access without clusterAdminPrincipalArn', () => {
    Annotations.fromStack(s.stack).hasWarning('/GpuControlPlane/ClusterBootstrap', Match.stringLikeRegexp('clusterAdminPrincipalArn'));
  });
});

describe('cluster bootstrap, imported cluster', () => {
  it('applies nothing and says at synth how to apply the bootstrap once', () => {
    const s = synthesize(IMPORT_MODE);
    expect(s.ofType(MANIFEST)).toEqual([]);
    Annotations.fromStack(s.stack).hasWarning('/GpuControlPlane/ClusterBootstrap', Match.stringLikeRegexp('npm run -s cluster-manifests'));
  }, 180_000);
});
