/** Removes the deployment record once its objects and GPUs are gone; the API then answers 404. */
import { deleteDeployment } from '../adapters/deployment-repository';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';

export const finishDelete = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  await deleteDeployment(record, input.execution).catch(asSuperseded);
  return { deleted: record.id };
};

export const handler = workflowTask('finish-delete', finishDelete);
