/**
 * The one place that turns a failed DynamoDB condition into the caller's answer. Every
 * conditional write of the adapters goes through `conditional`, so "the condition did not
 * hold" is never confused with any other error (throttling, validation, network), which
 * still propagates as thrown.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DeleteCommand, type DeleteCommandOutput, PutCommand, type PutCommandOutput, UpdateCommand, type UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamodb';

/**
 * Sends a conditional write. If its condition fails, returns what `onConflict` returns (or
 * throws what it throws); otherwise the write's output.
 */
export function conditional<R>(command: PutCommand, onConflict: () => R | Promise<R>): Promise<PutCommandOutput | R>;
export function conditional<R>(command: UpdateCommand, onConflict: () => R | Promise<R>): Promise<UpdateCommandOutput | R>;
export function conditional<R>(command: DeleteCommand, onConflict: () => R | Promise<R>): Promise<DeleteCommandOutput | R>;
export async function conditional<R>(
  command: PutCommand | UpdateCommand | DeleteCommand,
  onConflict: () => R | Promise<R>,
): Promise<PutCommandOutput | UpdateCommandOutput | DeleteCommandOutput | R> {
  try {
    // one branch per command type: the client's `send` is typed by the command it is given
    if (command instanceof PutCommand) return await documentClient.send(command);
    if (command instanceof UpdateCommand) return await documentClient.send(command);
    return await documentClient.send(command);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return onConflict();
    throw error;
  }
}

/** `onConflict` for a write whose lost race needs no answer: the caller carries on. */
export const ignoreConflict = (): undefined => undefined;
