/**
 * `npm start`: the local control plane on 127.0.0.1.
 *   PORT            API port (default 8080)
 *   GATEWAY_PORT    inference gateway port (default 8081): the endpoint_url of ready deployments
 *   DATA_DIR        where DynamoDB data, executions, cluster state and the dev JWT key live (default .data)
 *   SIM_TIME_SCALE  multiplies simulated delays and Wait states (default 0.1: a small model is ready in ~15 s)
 */
import * as z from 'zod';
import { startLocalCloud } from './cloud';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    DATA_DIR: z.string().min(1).default('.data'),
    SIM_TIME_SCALE: z.coerce.number().positive().max(1).default(0.1),
    QUIET: z.enum(['0', '1']).default('0'),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(`invalid configuration: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(2);
}
const { PORT, GATEWAY_PORT, DATA_DIR, SIM_TIME_SCALE, QUIET } = env.data;

const cloud = await startLocalCloud({
  port: PORT,
  gatewayPort: GATEWAY_PORT,
  dataDir: DATA_DIR,
  timeScale: SIM_TIME_SCALE,
  log: QUIET === '1' ? undefined : (line) => console.log(line),
});
console.log(`GPU control plane (local cloud) listening on ${cloud.apiUrl}`);
console.log(`  API        ${cloud.apiUrl}/api/v1beta1`);
console.log(`  Console    ${cloud.apiUrl}/   (local sign-in: any org/project/role)`);
console.log(`  Inference  ${cloud.gatewayUrl}/orgs/<org>/projects/<project>/aimodels/<deployment id>/v1 (OpenAI-compatible; keys: POST …/inference-keys)`);
console.log(`  DynamoDB   ${cloud.dynamoUrl}   Step Functions ${cloud.sfnUrl}   Secrets Manager ${cloud.secretsManager.url}   EKS/Auto Scaling/Kubernetes ${cloud.simulator.url}`);
console.log(`  IAM        ${cloud.iamEnforced ? 'enforced from the synthesized template (docs/local-iam.md)' : 'OFF (LOCAL_IAM=off): every call allowed'}`);
console.log(`  data in ${cloud.dataDir}; time scale ${SIM_TIME_SCALE}; token: npm run --silent token -- --org <org> --project <project>`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  await cloud.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
