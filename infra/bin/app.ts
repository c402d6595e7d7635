/**
 * CDK entry point (cdk.json runs it with tsx): one app, one stack `GpuControlPlane`.
 * Configuration comes from context (see infra/stack.ts and docs/deploy.md); the environment from
 * the CLI's CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION when it knows them, else the stack stays
 * environment-agnostic. cdk-nag runs in every synth; an unacknowledged error fails it, and the
 * process exits non-zero.
 */
import { createControlPlaneApp } from '../stack';

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

const { app } = createControlPlaneApp({}, account || region ? { account, region } : undefined);
app.synth();
