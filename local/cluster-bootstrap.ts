/**
 * Applies the cluster bootstrap (contract/cluster-manifests.ts) to the simulator at
 * start, as the stack does in AWS: server-side apply by the cluster administrator (a request
 * without the Lambda caller header is the operator), the namespace first. Idempotent, so a
 * restart on the same state applies the same objects again without change.
 */
import { clusterBootstrapManifests, type ClusterManifest } from '../contract/cluster-manifests';

const PLURALS: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  StorageClass: { plural: 'storageclasses', namespaced: false },
  NetworkPolicy: { plural: 'networkpolicies', namespaced: true },
};

export const manifestPath = (manifest: ClusterManifest): string => {
  const type = PLURALS[manifest.kind];
  if (!type) throw new Error(`cluster bootstrap: no resource path for kind ${manifest.kind}`);
  const base = manifest.apiVersion.includes('/') ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
  const scope = type.namespaced ? `/namespaces/${encodeURIComponent(manifest.metadata.namespace ?? '')}` : '';
  return `${base}${scope}/${type.plural}/${encodeURIComponent(manifest.metadata.name)}`;
};

/** Server-side applies every bootstrap object to the Kubernetes API at `kubernetesUrl` as the operator. */
export const applyClusterBootstrap = async (kubernetesUrl: string, modelNamespace: string): Promise<void> => {
  for (const manifest of clusterBootstrapManifests(modelNamespace)) {
    const response = await fetch(`${kubernetesUrl}${manifestPath(manifest)}?fieldManager=gpu-control-plane-bootstrap&force=true`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json' },
      body: JSON.stringify(manifest),
    });
    if (!response.ok) {
      throw new Error(`cluster bootstrap: applying ${manifest.kind} ${manifest.metadata.name} answered ${response.status}: ${await response.text()}`);
    }
  }
};
