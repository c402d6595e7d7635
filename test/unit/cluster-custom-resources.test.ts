/**
 * The custom resources of the cluster: the import preflight's rules (m11), and the CloudFormation
 * response protocol both handlers share, exercised over real HTTP against a local listener that
 * plays the pre-signed ResponseURL.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceHandler, stringProperty, type CustomResourceEvent } from '../../infra/custom-resources/cfn-response';
import { preflightProblems } from '../../infra/custom-resources/import-preflight';

describe('import preflight', () => {
  const reachablePublic = { authenticationMode: 'API', endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: ['0.0.0.0/0'], vpcId: 'vpc-1' };

  it('accepts access-entry authentication with an endpoint the functions can reach', () => {
    expect(preflightProblems('gpu-models', reachablePublic, undefined)).toEqual([]);
    expect(preflightProblems('gpu-models', { ...reachablePublic, authenticationMode: 'API_AND_CONFIG_MAP', endpointPrivateAccess: true }, 'vpc-1')).toEqual([]);
  });

  it('rejects a CONFIG_MAP-only cluster with the command that switches it', () => {
    const [problem] = preflightProblems('gpu-models', { ...reachablePublic, authenticationMode: 'CONFIG_MAP' }, undefined);
    expect(problem).toContain('authenticates with CONFIG_MAP only');
    expect(problem).toContain('aws eks update-cluster-config --name gpu-models --access-config authenticationMode=API_AND_CONFIG_MAP');
  });

  it('rejects a public endpoint the out-of-VPC functions cannot reach (restricted CIDRs or private only)', () => {
    expect(preflightProblems('gpu-models', { ...reachablePublic, publicAccessCidrs: ['203.0.113.0/24'] }, undefined)[0]).toMatch(/allows 203\.0\.113\.0\/24/);
    expect(preflightProblems('gpu-models', { ...reachablePublic, endpointPublicAccess: false, endpointPrivateAccess: true }, undefined)[0]).toMatch(
      /allows no public access.*functionVpcId/,
    );
  });

  it('rejects in-VPC functions without a private endpoint, or in another VPC than the cluster', () => {
    expect(preflightProblems('gpu-models', reachablePublic, 'vpc-1')[0]).toContain('endpointPrivateAccess=true');
    expect(preflightProblems('gpu-models', { ...reachablePublic, endpointPrivateAccess: true }, 'vpc-2')[0]).toMatch(/is in vpc-1/);
  });
});

describe('CloudFormation custom resource responses', () => {
  const received: { method?: string; contentType?: string; body: Record<string, unknown> }[] = [];
  let url = '';
  const server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method, contentType: request.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> });
      response.writeHead(200).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const event = (properties: Record<string, unknown>): CustomResourceEvent => ({
    RequestType: 'Create',
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GpuControlPlane/1',
    RequestId: 'request-1',
    LogicalResourceId: 'Preflight',
    ResourceProperties: properties,
  });

  it('PUTs SUCCESS with the physical id and data, and the content type the pre-signed URL was signed with', async () => {
    received.length = 0;
    await customResourceHandler(async (e) => ({ physicalResourceId: stringProperty(e, 'Name'), data: { Answer: '42' } }))(event({ Name: 'thing' }));
    expect(received).toEqual([
      {
        method: 'PUT',
        contentType: '',
        body: {
          Status: 'SUCCESS',
          PhysicalResourceId: 'thing',
          Data: { Answer: '42' },
          StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GpuControlPlane/1',
          RequestId: 'request-1',
          LogicalResourceId: 'Preflight',
        },
      },
    ]);
  });

  it('PUTs FAILED with the reason, so the stack fails at once instead of waiting an hour', async () => {
    received.length = 0;
    await customResourceHandler(async (e) => ({ physicalResourceId: stringProperty(e, 'Name') }))(event({}));
    expect(received[0]!.body).toMatchObject({ Status: 'FAILED', Reason: 'Property Name is missing', PhysicalResourceId: 'failed-request-1' });
  });
});
