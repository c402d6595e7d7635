/**
 * Where the model pods accept connections from (domain/manifests.ts renders it into each
 * deployment's NetworkPolicy). On EKS the API server reaches pods from its cross-account ENIs,
 * which sit in the cluster's subnets: MODEL_INGRESS_CIDRS lists those subnets' CIDRs
 * (comma-separated). The default is the stack VPC's CIDR (CDK's default 10.0.0.0/16); see
 * docs/architecture.md ("Model pod isolation") for why narrower subnets are better.
 */
import * as z from 'zod';
import { readEnv } from '../commons/env';
import type { ModelIngress } from '../domain/manifests';

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

const cidrs = readEnv({
  MODEL_INGRESS_CIDRS: z
    .string()
    .default('10.0.0.0/16')
    .transform((value) => value.split(',').map((c) => c.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((c) => CIDR.test(c)), { error: 'MODEL_INGRESS_CIDRS must be a comma-separated list of IPv4 CIDRs' }),
}).MODEL_INGRESS_CIDRS;

export const modelIngress: ModelIngress = { apiServerCidrs: cidrs };
