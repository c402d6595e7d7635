import { describe, expect, it } from 'vitest';
import { judgeLaunches, launchFailureKind, launchFailureVerdict, vcpuQuotaFor } from '../../functions/domain/node-health';
import { classifyPods, isPermanentPullError } from '../../functions/domain/pod-status';
import { nodeProvisioning } from '../../functions/domain/startup';
import { findGpuConfig } from '../../contract/catalog';
import type { V1Pod } from '@kubernetes/client-node';

const ICE = 'We currently do not have sufficient p5.48xlarge capacity in the Availability Zone you requested (us-east-1a). Launching EC2 instance failed.';
const QUOTA = 'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to.';
const launch = (statusCode: string, statusMessage = '') => ({ statusCode, statusMessage, description: `Launching a new EC2 instance${statusCode === 'Failed' ? `.  Status Reason: ${statusMessage}` : ': i-0abc'}` });

describe('launch failures of this grow', () => {
  it('no activity since the grow: an existing health issue is older and says nothing', () => {
    expect(judgeLaunches([])).toEqual({ kind: 'none' });
  });
  it('the latest launch succeeded: earlier failures of this grow are over', () => {
    expect(judgeLaunches([launch('Successful'), launch('Failed', ICE)])).toEqual({ kind: 'none' });
  });
  it('capacity and quota failures are retried; others are fatal', () => {
    expect(judgeLaunches([launch('Failed', ICE)])).toMatchObject({ kind: 'retrying', failure: 'capacity' });
    expect(judgeLaunches([launch('Failed', QUOTA)])).toMatchObject({ kind: 'retrying', failure: 'quota' });
    expect(launchFailureKind('Your requested instance type (p5.48xlarge) is not supported in your requested Availability Zone (us-east-1d).')).toBe('unsupported_az');
    expect(judgeLaunches([launch('Failed', 'The security group sg-1 does not exist. Launching EC2 instance failed.')])).toMatchObject({ kind: 'fatal' });
  });
  it('terminations are not launches', () => {
    expect(judgeLaunches([{ statusCode: 'Failed', statusMessage: 'x', description: 'Terminating EC2 instance: i-0abc' }])).toEqual({ kind: 'none' });
  });
  it('the quota verdict names the quota of the family and how to raise it', () => {
    expect(vcpuQuotaFor('p5.48xlarge').code).toBe('L-417A185B');
    expect(vcpuQuotaFor('g6.12xlarge').code).toBe('L-DB2E81BA');
    const verdict = launchFailureVerdict('quota', 'p4de.24xlarge', 'us-east-1', QUOTA);
    expect(verdict.reason).toBe('VcpuQuotaExceeded');
    expect(verdict.message).toContain('--quota-code L-417A185B');
  });
});

describe('node provisioning per GPU config', () => {
  it('P configs get longer than G configs; a config without the field gets the defaults', () => {
    const g6 = nodeProvisioning(findGpuConfig('l4-24gb')!);
    const p5 = nodeProvisioning(findGpuConfig('h100-80gb')!);
    expect(p5.deadlineSeconds).toBeGreaterThan(g6.deadlineSeconds);
    expect(p5.expectedSeconds).toBeGreaterThan(g6.expectedSeconds);
    expect(nodeProvisioning({})).toEqual({ expectedSeconds: 180, deadlineSeconds: 900 });
  });
});

const pod = (reason: string, message: string): V1Pod => ({
  metadata: { name: 'model-abc-1' },
  status: { phase: 'Pending', containerStatuses: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }] },
});

describe('image pull errors', () => {
  const limited = 'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/vllm/vllm-openai:v0.11.0": 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit.';
  const missing = 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/vllm/vllm-openai:v9": failed to resolve reference "docker.io/vllm/vllm-openai:v9": docker.io/vllm/vllm-openai:v9: not found';
  it("Docker Hub's limit is transient: the rollout keeps pulling", () => {
    expect(isPermanentPullError(limited)).toBe(false);
    expect(classifyPods([pod('ErrImagePull', limited)])).toMatchObject({ kind: 'progress', phase: 'pulling_image', detail: expect.stringContaining('toomanyrequests') });
    expect(classifyPods([pod('ImagePullBackOff', `Back-off pulling image: ErrImagePull: ${limited}`)])).toMatchObject({ kind: 'progress', phase: 'pulling_image' });
  });
  it('a missing image or an invalid name fails at once', () => {
    expect(classifyPods([pod('ImagePullBackOff', missing)])).toMatchObject({ kind: 'failed', reason: 'ImageNotFound' });
    expect(classifyPods([pod('ErrImagePull', 'manifest unknown: manifest unknown')])).toMatchObject({ kind: 'failed', reason: 'ImageNotFound' });
    expect(classifyPods([pod('InvalidImageName', 'Failed to apply default image tag "vllm/Bad Name": couldn\'t parse image reference')])).toMatchObject({ kind: 'failed', reason: 'InvalidImageName' });
  });
});
