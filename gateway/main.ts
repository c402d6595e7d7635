/**
 * The inference gateway's container entry (infra deploys it as a Deployment in the cluster, behind
 * the ALB). Configuration from the environment, like a Lambda's:
 *   GATEWAY_PORT           listen port (default 8080)
 *   GATEWAY_INSTANCE_ID    this instance in the load signals (default the host name: the pod's name)
 *   MODEL_NAMESPACE        where the model Services are (default models)
 *   UPSTREAM_URL_TEMPLATE  a model server's base URL (default http://{service}.{namespace}.svc.cluster.local:8000)
 *   GATEWAY_HOST_SUFFIX    also route `<deployment name>.<project>.<org>.<suffix>` (optional)
 *   MAX_BODY_BYTES         413 above (default 8 MiB)
 *   TABLE_NAME, GATEWAY_SECRET_ID, SCALE_STATE_MACHINE_ARN, AWS_REGION   read by the adapters (functions/wiring)
 * SIGTERM stops accepting connections, lets streams in flight finish for the grace period, and
 * writes the usage metered so far.
 */
import { hostname } from 'node:os';
import * as z from 'zod';
import { readEnv } from '../functions/commons/env';
import { createGateway } from './server';
import { productionGatewayPorts } from './wiring';

const env = readEnv({
  GATEWAY_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  GATEWAY_INSTANCE_ID: z.string().min(1).default(hostname()),
  MODEL_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('models'),
  UPSTREAM_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000'),
  GATEWAY_HOST_SUFFIX: z.string().min(1).optional(),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(8 * 1024 * 1024),
});

const gateway = createGateway(
  await productionGatewayPorts(),
  {
    namespace: env.MODEL_NAMESPACE,
    upstreamTemplate: env.UPSTREAM_URL_TEMPLATE,
    maxBodyBytes: env.MAX_BODY_BYTES,
    instanceId: env.GATEWAY_INSTANCE_ID,
    ...(env.GATEWAY_HOST_SUFFIX ? { hostSuffix: env.GATEWAY_HOST_SUFFIX } : {}),
    log: (line) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`),
  },
);
const running = await gateway.listen(env.GATEWAY_PORT, '0.0.0.0');
process.stdout.write(`${JSON.stringify({ msg: 'inference gateway listening', url: running.url })}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
