/**
 * The bundles CDK deploys, built the way `cdk synth` builds them: one stack holding a
 * ControlPlaneFunction per handler, synthesized with bundling on (NodejsFunction runs the local
 * esbuild with infra/constructs/control-plane-function.ts's BUNDLING), into a scratch cloud
 * assembly. Returns each handler's staged index.mjs.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { LAMBDA_BUNDLE_OPTIONS } from '../../infra/bundling';
import { ControlPlaneFunction, constructIdFor } from '../../infra/constructs/control-plane-function';

export interface HandlerEntry {
  name: string;
  entry: string;
}

export const cdkBundleFiles = (outdir: string, handlers: readonly HandlerEntry[]): Map<string, string> => {
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchBundles', { env: { account: '000000000000', region: 'us-east-1' } });
  const ids = new Map<string, string>();
  for (const { name, entry } of handlers) {
    const fn = new ControlPlaneFunction(stack, constructIdFor(name), { name, entry, kind: 'api', prefix: 'bench', metricsNamespace: 'Bench' });
    ids.set(stack.getLogicalId(fn.node.defaultChild as never), name);
  }
  const template = app.synth().getStackByName('BenchBundles').template as { Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }> };
  const files = new Map<string, string>();
  for (const [logicalId, name] of ids) {
    // The code asset `<hash>.zip` is staged in the assembly as the folder `asset.<hash>`.
    const hash = template.Resources[logicalId]?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    if (!hash) throw new Error(`no bundled code for ${name}`);
    files.set(name, join(outdir, `asset.${hash}`, LAMBDA_BUNDLE_OPTIONS.outputFileName));
  }
  return files;
};
