/**
 * A bearer token for the EKS Kubernetes API: a presigned STS GetCallerIdentity URL bound to
 * the cluster name (the aws-iam-authenticator format EKS access entries accept). Valid for
 * 15 minutes; callers renew it well before.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

export const eksToken = async (clusterName: string, region: string): Promise<string> => {
  const signer = new SignatureV4({ service: 'sts', region, credentials: defaultProvider(), sha256: Sha256 });
  const hostname = `sts.${region}.amazonaws.com`;
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60 },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
};
