/** A poll that meets transient API errors waits and polls again, a bounded number of times. */
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isTransientApiError } from '../../functions/adapters/transient-errors';
import { MAX_CONSECUTIVE_TRANSIENT_ERRORS, pollThroughTransientErrors, TRANSIENT_WAIT_SECONDS } from '../../functions/commons/poll';
import { DeploymentFailedError } from '../../functions/domain/errors';
import { NotReadyYetError } from '../../functions/domain/polling';

const k8s = (code: number) => new ApiException(code, `HTTP-Code: ${code}`, '{}', {});
const aws = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const dropped = () => new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

describe('isTransientApiError', () => {
  it('knows the Kubernetes and AWS answers worth polling again after', () => {
    for (const error of [k8s(429), k8s(500), k8s(503), k8s(504), dropped(), aws('ThrottlingException', 400), aws('Throttling', 400), aws('InternalFailure', 500)]) {
      expect(isTransientApiError(error), String((error as Error).name)).toBe(true);
    }
    expect(isTransientApiError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }))).toBe(true);
  });

  it('leaves refusals, missing objects and the workflow\'s own signals alone', () => {
    for (const error of [k8s(403), k8s(404), k8s(409), k8s(422), aws('AccessDeniedException', 400), aws('ResourceNotFoundException', 404)]) {
      expect(isTransientApiError(error)).toBe(false);
    }
    expect(isTransientApiError(new NotReadyYetError('model not ready yet'))).toBe(false);
    expect(isTransientApiError(new DeploymentFailedError('OOMKilled', 'out of memory'))).toBe(false);
    expect(isTransientApiError('a string')).toBe(false);
  });
});

describe('pollThroughTransientErrors', () => {
  const state: { ready: boolean; wait_seconds: number; started_at: string; transient_errors?: number } = { ready: false, wait_seconds: 30, started_at: '2026-12-06T10:00:00Z' };

  it('turns a transient error into a short wait, counting consecutive ones', async () => {
    const first = await pollThroughTransientErrors(state, () => Promise.reject(k8s(429)), isTransientApiError);
    expect(first).toEqual({ ...state, ready: false, wait_seconds: TRANSIENT_WAIT_SECONDS, transient_errors: 1 });
    const second = await pollThroughTransientErrors(first, () => Promise.reject(dropped()), isTransientApiError);
    expect(second.transient_errors).toBe(2);
  });

  it('resets the count once a poll gets through', async () => {
    const after = await pollThroughTransientErrors({ ...state, transient_errors: 7 }, async () => ({ ...state, transient_errors: 7, ready: true, wait_seconds: 0 }), isTransientApiError);
    expect(after).toMatchObject({ ready: true, transient_errors: 0 });
  });

  it('gives up past the bound, so an API that stays down still fails the operation', async () => {
    const worn = { ...state, transient_errors: MAX_CONSECUTIVE_TRANSIENT_ERRORS };
    await expect(pollThroughTransientErrors(worn, () => Promise.reject(k8s(503)), isTransientApiError)).rejects.toBeInstanceOf(ApiException);
  });

  it('rethrows what is not transient: a classified failure, a not-ready retry, a refusal', async () => {
    await expect(pollThroughTransientErrors(state, () => Promise.reject(new DeploymentFailedError('ImageNotFound', 'no such image')), isTransientApiError)).rejects.toBeInstanceOf(DeploymentFailedError);
    await expect(pollThroughTransientErrors(state, () => Promise.reject(new NotReadyYetError('x')), isTransientApiError)).rejects.toBeInstanceOf(NotReadyYetError);
    await expect(pollThroughTransientErrors(state, () => Promise.reject(k8s(403)), isTransientApiError)).rejects.toBeInstanceOf(ApiException);
  });
});
