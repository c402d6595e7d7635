/** The model cluster through the Kubernetes API (adapters/kubernetes.ts). */
import * as kubernetes from '../adapters/kubernetes';
import type { Cluster } from '../ports';

export const cluster: Cluster = {
  ensureNamespace: kubernetes.ensureNamespace,
  applyObjects: kubernetes.applyObjects,
  readWorkloadStatus: kubernetes.readDeploymentStatus,
  listPods: kubernetes.listPods,
  podsOnNodes: kubernetes.podsOnNodes,
  readPodLog: kubernetes.readPodLog,
  deleteWorkloadObjects: kubernetes.deleteWorkloadObjects,
  forceDeletePods: kubernetes.forceDeletePods,
  notReadyNodeNames: kubernetes.notReadyNodeNames,
  listNodes: kubernetes.listNodes,
  cordonNode: kubernetes.cordonNode,
  uncordonNode: kubernetes.uncordonNode,
  listManagedObjects: kubernetes.listManagedObjects,
  deleteManagedObject: kubernetes.deleteManagedObject,
  readClaim: kubernetes.readClaim,
  applyClaim: kubernetes.applyClaim,
};
