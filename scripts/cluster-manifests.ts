/**
 * Prints the cluster bootstrap (contract/cluster-manifests.ts) as one Kubernetes List,
 * for an imported cluster whose admin applies it once:
 *
 *   npm run -s cluster-manifests -- --namespace models | kubectl apply -f -
 *
 * (A new cluster gets the same objects from the stack itself.)
 */
import { parseArgs } from 'node:util';
import { clusterBootstrapManifests } from '../contract/cluster-manifests';

const { values } = parseArgs({ options: { namespace: { type: 'string', default: 'models' } } });
const namespace = values.namespace;
if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
  process.stderr.write(`--namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clusterBootstrapManifests(namespace) }, null, 2)}\n`);
