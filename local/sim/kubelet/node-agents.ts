/**
 * How the kubelet runs the EKS node agents (VPC CNI, kube-proxy, Pod Identity agent, EBS CSI
 * node plugin) instead of as model servers: a small image from the regional EKS ECR registry
 * that pulls in seconds, a process that is Ready a few seconds after it starts, and its own log
 * lines. A pod is a node agent when its first container's image is one of these; every other
 * image is run as a vLLM-compatible model server (the contract of custom model images).
 */
import type { Pod } from '../apiserver/types.js';

/** EKS add-on images come from the regional ECR registry of the EKS service account. */
const EKS_REGISTRY = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//;

export interface NodeAgentProfile {
  /** Base seconds (before timeScale) to pull the image from in-region ECR. */
  pullSeconds: number;
  /** Base seconds from container start to Ready. */
  readySeconds: number;
  /** Log lines of a run that started at `startedAt` (epoch ms), as the process prints them. */
  log(ctx: AgentLogContext): string[];
}

export interface AgentLogContext {
  pod: Pod;
  nodeName: string;
  startedAt: number;
  ready: boolean;
}

const klog = (ms: number): string => {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
};

const json = (ms: number, level: string, msg: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ level, ts: new Date(ms).toISOString(), caller: extra.caller ?? 'main', msg, ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'caller')) });

const PROFILES: { repository: RegExp; profile: NodeAgentProfile }[] = [
  {
    repository: /^amazon-k8s-cni:/,
    profile: {
      pullSeconds: 3,
      readySeconds: 6,
      log: ({ startedAt, ready }) => [
        json(startedAt, 'info', 'Starting L-IPAMD   ...', { caller: 'aws-k8s-agent/main.go:42' }),
        json(startedAt + 200, 'info', 'Testing communication with server', { caller: 'aws-k8s-agent/main.go:42' }),
        json(startedAt + 400, 'info', 'Successful communication with the Cluster! Cluster Version is: v1.31. git version: v1.31.4-eks-2d5f260.', { caller: 'aws-k8s-agent/main.go:42' }),
        json(startedAt + 900, 'info', 'Copying config file... ', { caller: 'entrypoint.sh' }),
        ...(ready ? [json(startedAt + 5000, 'info', 'Successfully copied CNI plugin binary and config file.', { caller: 'entrypoint.sh' })] : []),
      ],
    },
  },
  {
    repository: /^amazon\/aws-network-policy-agent:/,
    profile: {
      pullSeconds: 2,
      readySeconds: 2,
      log: ({ startedAt }) => [json(startedAt, 'info', 'Network Policy Agent is running in monitor mode', { caller: 'runtime/proc.go:271' })],
    },
  },
  {
    repository: /^eks\/kube-proxy:/,
    profile: {
      pullSeconds: 3,
      readySeconds: 2,
      log: ({ startedAt, nodeName }) => [
        `I${klog(startedAt)}       1 server_linux.go:66] "Using iptables proxy"`,
        `I${klog(startedAt + 30)}       1 server.go:677] "Successfully retrieved node IP(s)" IPs=["${nodeName.replace(/^ip-/, '').replace(/\.ec2\.internal$/, '').replace(/-/g, '.')}"]`,
        `I${klog(startedAt + 60)}       1 server_linux.go:169] "Using iptables Proxier"`,
        `I${klog(startedAt + 90)}       1 config.go:199] "Starting service config controller"`,
        `I${klog(startedAt + 120)}       1 shared_informer.go:320] Caches are synced for service config`,
      ],
    },
  },
  {
    repository: /^eks\/eks-pod-identity-agent:/,
    profile: {
      pullSeconds: 2,
      readySeconds: 2,
      log: ({ startedAt }) => [
        json(startedAt, 'info', 'Starting EKS Pod Identity Agent server', { bind: '169.254.170.23:80' }),
        json(startedAt + 10, 'info', 'Starting EKS Pod Identity Agent server', { bind: '[fd00:ec2::23]:80' }),
      ],
    },
  },
  {
    repository: /^eks\/aws-ebs-csi-driver:/,
    profile: {
      pullSeconds: 3,
      readySeconds: 3,
      log: ({ startedAt, nodeName }) => [
        `I${klog(startedAt)}       1 main.go:154] "Initializing metadata"`,
        `I${klog(startedAt + 40)}       1 metadata.go:66] "Retrieved metadata from IMDS"`,
        `I${klog(startedAt + 80)}       1 node.go:134] "regionFromSession Node service" region="" node="${nodeName}"`,
      ],
    },
  },
  {
    repository: /^eks\/(csi-node-driver-registrar|livenessprobe):/,
    profile: {
      pullSeconds: 2,
      readySeconds: 2,
      log: ({ startedAt }) => [
        `I${klog(startedAt)}       1 main.go:135] "Version" version="v2.12.0"`,
        `I${klog(startedAt + 500)}       1 main.go:90] "Received NotifyRegistrationStatus call" status="&RegistrationStatus{PluginRegistered:true,Error:,}"`,
      ],
    },
  },
];

/** The node-agent profile of an image, or undefined for an image that is run as a model server. */
export const agentProfileOf = (image: string | undefined): NodeAgentProfile | undefined => {
  if (!image || !EKS_REGISTRY.test(image)) return undefined;
  const repository = image.replace(EKS_REGISTRY, '');
  return PROFILES.find((p) => p.repository.test(repository))?.profile;
};

/** The pod's profile: decided by its first container, which is what the kubelet simulates. */
export const podAgentProfile = (pod: Pod): NodeAgentProfile | undefined => agentProfileOf(pod.spec.containers[0]?.image);

/** The log of one container of a node-agent pod (each container runs its own image). */
export const agentContainerLog = (pod: Pod, container: string, nodeName: string, startedAt: number, ready: boolean, now: number): string[] => {
  const image = pod.spec.containers.find((c) => c.name === container)?.image;
  const profile = agentProfileOf(image);
  if (!profile) return [];
  return profile.log({ pod, nodeName, startedAt, ready }).filter((line) => {
    const ts = /"ts":"([^"]+)"/.exec(line)?.[1];
    return ts === undefined || Date.parse(ts) <= now;
  });
};
