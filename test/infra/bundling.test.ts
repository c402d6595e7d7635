/**
 * The bundle CDK deploys is the bundle `npm run bundle` builds and the bench measures (issue 13
 * m7: the CDK bundles lacked the credential-provider alias). One handler is bundled both ways,
 * for real: through a ControlPlaneFunction in a synthesized stack (NodejsFunction runs the local
 * esbuild), and with esbuildOptionsFor; the two files must be the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildOptionsFor, LAMBDA_BUNDLE_OPTIONS, PROJECT_ROOT } from '../../infra/bundling';
import { ControlPlaneFunction } from '../../infra/constructs/control-plane-function';

/** A handler with an AWS SDK client (DynamoDB), so the default credential chain would be in its bundle. */
const ENTRY = 'functions/api/get-deployment.ts';
const scratch = mkdtempSync(join(tmpdir(), 'cdk-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Synthesizes a stack holding one function with bundling on; returns its built index.mjs. */
const cdkBundle = (entry: string): string => {
  const outdir = join(scratch, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'BundleProbe', { env: { account: '000000000000', region: 'us-east-1' } });
  new ControlPlaneFunction(stack, 'Probe', { name: 'probe', entry, kind: 'api', prefix: 'probe', metricsNamespace: 'Probe' });
  const assembly = app.synth();
  const template = assembly.getStackByName('BundleProbe').template as { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }> };
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  // The code asset `<hash>.zip` is staged in cdk.out as the folder `asset.<hash>`.
  const hash = fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
  if (!hash) throw new Error('the function has no bundled asset');
  return readFileSync(join(outdir, `asset.${hash}`, LAMBDA_BUNDLE_OPTIONS.outputFileName), 'utf8');
};

describe('CDK-built bundles (m7)', () => {
  it('are byte for byte what npm run bundle builds, credential-provider alias included', async () => {
    const deployed = cdkBundle(ENTRY);
    const local = join(scratch, 'local', LAMBDA_BUNDLE_OPTIONS.outputFileName);
    await build(esbuildOptionsFor(join(PROJECT_ROOT, ENTRY), local));
    const measured = readFileSync(local, 'utf8');
    expect(deployed.length).toBe(measured.length);
    expect(deployed === measured).toBe(true);
    // The default chain's SSO, process and instance-metadata links are gone from the deployed bundle.
    expect(deployed).not.toMatch(/sso_start_url|credential_process|fromInstanceMetadata/);
  }, 120_000);
});
