/**
 * The DaemonSets an EKS cluster of this stack runs in kube-system: the VPC CNI (aws-node, with
 * its network policy agent), kube-proxy, the EKS Pod Identity agent, and the EBS CSI node
 * plugin (aws-ebs-csi-driver add-on). Shapes follow the EKS add-on manifests: images from the
 * regional EKS ECR registry, `k8s-app`/`app.kubernetes.io` labels, `priorityClassName:
 * system-node-critical`, `tolerations: [{operator: Exists}]` (so they run on the tainted GPU
 * nodes too), an os/arch/compute-type node affinity, and the add-ons' CPU/memory requests, which
 * the scheduler counts against each node's allocatable.
 *
 * Not here, because it is no DaemonSet on these nodes: the NVIDIA device plugin ships inside the
 * Bottlerocket NVIDIA image (see kubelet/device-plugins.ts for its registration delay); CoreDNS is a
 * Deployment on the system nodes.
 */
import type { Container, DaemonSet, Labels, PodSpec } from '../apiserver/types.js';

const EKS_ACCOUNT = '602401143452';

export const ADDON_VERSIONS = {
  vpcCni: 'v1.19.2-eksbuild.1',
  networkPolicyAgent: 'v1.1.6-eksbuild.1',
  kubeProxy: 'v1.31.3-minimal-eksbuild.2',
  podIdentityAgent: '0.1.21',
  ebsCsi: 'v1.38.1',
  csiRegistrar: 'v2.12.0-eks-1-31-11',
  livenessProbe: 'v2.14.0-eks-1-31-11',
} as const;

const registry = (region: string): string => `${EKS_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`;

const nodeAffinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'kubernetes.io/os', operator: 'In' as const, values: ['linux'] },
            { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64', 'arm64'] },
            { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn' as const, values: ['fargate', 'hybrid', 'auto'] },
          ],
        },
      ],
    },
  },
};

const requests = (cpu: string, memory?: string): Container['resources'] => ({ requests: { cpu, ...(memory ? { memory } : {}) } });

const daemonSet = (name: string, labels: Labels, selector: Labels, podLabels: Labels, spec: PodSpec): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'kube-system', uid: '', resourceVersion: '', creationTimestamp: '', labels },
  spec: {
    selector: { matchLabels: selector },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
    template: {
      metadata: { labels: podLabels },
      spec: {
        ...spec,
        affinity: nodeAffinity,
        priorityClassName: 'system-node-critical',
        tolerations: [{ operator: 'Exists' }],
      },
    },
  },
});

export const eksSystemDaemonSets = (region: string): DaemonSet[] => {
  const ecr = registry(region);
  const cniLabels = { 'app.kubernetes.io/name': 'aws-node', 'app.kubernetes.io/instance': 'aws-vpc-cni', 'k8s-app': 'aws-node' };
  const identityLabels = { 'app.kubernetes.io/name': 'eks-pod-identity-agent', 'app.kubernetes.io/instance': 'eks-pod-identity-agent' };
  const ebsSelector = { app: 'ebs-csi-node', 'app.kubernetes.io/name': 'aws-ebs-csi-driver' };
  return [
    daemonSet('aws-node', { ...cniLabels, 'app.kubernetes.io/version': ADDON_VERSIONS.vpcCni.replace(/-eksbuild.*$/, '') }, { 'k8s-app': 'aws-node' }, cniLabels, {
      serviceAccountName: 'aws-node',
      hostNetwork: true,
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: 'aws-node',
          image: `${ecr}/amazon-k8s-cni:${ADDON_VERSIONS.vpcCni}`,
          ports: [{ containerPort: 61678, name: 'metrics', protocol: 'TCP' }],
          env: [
            { name: 'AWS_VPC_K8S_CNI_LOGLEVEL', value: 'DEBUG' },
            { name: 'ENABLE_PREFIX_DELEGATION', value: 'false' },
            { name: 'WARM_ENI_TARGET', value: '1' },
          ],
          resources: requests('25m'),
        },
        {
          name: 'aws-eks-nodeagent',
          image: `${ecr}/amazon/aws-network-policy-agent:${ADDON_VERSIONS.networkPolicyAgent}`,
          args: ['--enable-ipv6=false', '--enable-network-policy=false', '--enable-cloudwatch-logs=false', '--metrics-bind-addr=:8162', '--health-probe-bind-addr=:8163'],
          resources: requests('25m'),
        },
      ],
    }),
    daemonSet('kube-proxy', { 'k8s-app': 'kube-proxy', 'eks.amazonaws.com/component': 'kube-proxy' }, { 'k8s-app': 'kube-proxy' }, { 'k8s-app': 'kube-proxy' }, {
      serviceAccountName: 'kube-proxy',
      hostNetwork: true,
      containers: [
        {
          name: 'kube-proxy',
          image: `${ecr}/eks/kube-proxy:${ADDON_VERSIONS.kubeProxy}`,
          command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'],
          resources: requests('100m'),
        },
      ],
    }),
    daemonSet('eks-pod-identity-agent', identityLabels, identityLabels, identityLabels, {
      hostNetwork: true,
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'eks-pod-identity-agent',
          image: `${ecr}/eks/eks-pod-identity-agent:${ADDON_VERSIONS.podIdentityAgent}`,
          command: ['/go-runner', '/eks-pod-identity-agent', 'server'],
          args: ['--port', '80', '--cluster-name', '$(CLUSTER_NAME)', '--probe-port', '2703'],
        },
      ],
    }),
    daemonSet(
      'ebs-csi-node',
      { ...ebsSelector, 'app.kubernetes.io/component': 'csi-driver', 'app.kubernetes.io/managed-by': 'EKS' },
      ebsSelector,
      { ...ebsSelector, 'app.kubernetes.io/component': 'csi-driver', 'app.kubernetes.io/managed-by': 'EKS' },
      {
        serviceAccountName: 'ebs-csi-node-sa',
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'ebs-plugin',
            image: `${ecr}/eks/aws-ebs-csi-driver:${ADDON_VERSIONS.ebsCsi}`,
            args: ['node', '--endpoint=$(CSI_ENDPOINT)', '--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/', '--logging-format=text', '--v=2'],
            resources: { requests: { cpu: '10m', memory: '40Mi' }, limits: { memory: '256Mi' } },
          },
          {
            name: 'node-driver-registrar',
            image: `${ecr}/eks/csi-node-driver-registrar:${ADDON_VERSIONS.csiRegistrar}`,
            args: ['--csi-address=$(ADDRESS)', '--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)', '--v=2'],
            resources: { requests: { cpu: '10m', memory: '40Mi' }, limits: { memory: '256Mi' } },
          },
          {
            name: 'liveness-probe',
            image: `${ecr}/eks/livenessprobe:${ADDON_VERSIONS.livenessProbe}`,
            args: ['--csi-address=/csi/csi.sock'],
            resources: { requests: { cpu: '10m', memory: '40Mi' }, limits: { memory: '256Mi' } },
          },
        ],
      },
    ),
  ];
};
