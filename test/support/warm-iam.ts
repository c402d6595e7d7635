/**
 * vitest globalSetup: synthesizes the template local IAM reads once, before any worker starts a
 * local cloud, so test files find it in the cache instead of each synthesizing it (local/iam/synth.ts).
 */
import { loadTemplate } from '../../local/iam/synth';

export default async function warmLocalIam(): Promise<void> {
  await loadTemplate({ prefix: 'gpu-control-plane', clusterName: 'gpu-models', namespace: 'models' });
}
