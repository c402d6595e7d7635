/**
 * Removes the deployment record once its objects and GPUs are gone; the API then answers 404.
 * Its Hugging Face token secret goes first (force, no recovery window): a retry after the record
 * is gone would no longer know the secret's ARN.
 */
import { deleteDeployment } from '../adapters/deployment-records';
import { deleteHfToken } from '../adapters/hf-token-secrets';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';

export const finishDelete = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  if (typeof record.hf_token_secret_arn === 'string') await deleteHfToken(record.hf_token_secret_arn);
  await deleteDeployment(record, input.execution).catch(asSuperseded);
  return { deleted: record.id };
};

export const handler = workflowTask('finish-delete', finishDelete);
