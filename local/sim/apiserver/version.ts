/** The Kubernetes version the simulated cluster reports (/version, node kubeletVersion, OpenAPI info). */
export const KUBELET_VERSION = 'v1.31.4-eks-aeac579';
