/**
 * `npm run --silent kubeconfig > kubeconfig.yaml`: a kubeconfig for the Kubernetes API of a
 * running `npm start` (same DATA_DIR, default `.data`), built from EKS DescribeCluster like
 * `aws eks update-kubeconfig`. Then `KUBECONFIG=kubeconfig.yaml kubectl get pods -A`.
 */
import { resolve } from 'node:path';
import { buildKubeconfig, readPublishedEndpoint } from './kubeconfig-lib';

const main = async (): Promise<void> => {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const endpoint = readPublishedEndpoint(dataDir);
  process.stdout.write(await buildKubeconfig({ eksUrl: endpoint.url, clusterName: endpoint.clusterName, region: endpoint.region }));
};

main().catch((error: unknown) => {
  process.stderr.write(`kubeconfig: ${(error as Error).message}\n`);
  process.exit(1);
});
