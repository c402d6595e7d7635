/**
 * Removes the deployment record once its objects and GPUs are gone; the API then answers 404.
 * Its Hugging Face token secret goes first (force, no recovery window): a retry after the record
 * is gone would no longer know the secret's ARN.
 */
import type { Ports } from '../../ports';
import { asSuperseded, ownedDeployment } from '../ownership';
import type { TaskInput } from '../../../contract/execution-state';

export const finishDelete = async (ports: Pick<Ports, 'deployments' | 'secrets'>, input: TaskInput): Promise<{ deleted: string }> => {
  const record = await ownedDeployment(ports, input);
  if (typeof record.hf_token_secret_arn === 'string') await ports.secrets.delete(record.hf_token_secret_arn);
  await ports.deployments.remove(record, input.execution).catch(asSuperseded);
  return { deleted: record.id };
};
