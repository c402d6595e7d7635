/**
 * When a deployment that is still starting will probably be ready: the median of recent
 * cold starts of the same model on the same GPU config, or, without history, an estimate
 * from the model's size. Pure.
 */
import type { Eta } from '../../contract/api-schemas';
import { expectedStartSeconds } from './startup';

export type { Eta };

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** `timeScale` converts cluster seconds to wall seconds (1 in AWS; the local cloud runs faster). */
export const estimateReadyAt = (
  acceptedAt: string,
  samples: readonly number[],
  weightsGib: number,
  nodeSeconds: number,
  timeScale = 1,
): Eta => {
  const seconds = samples.length > 0 ? median(samples) : nodeSeconds + expectedStartSeconds(weightsGib);
  return {
    expected_ready_at: new Date(Date.parse(acceptedAt) + seconds * timeScale * 1000).toISOString(),
    based_on: samples.length > 0 ? 'history' : 'model_size',
    samples: samples.length,
  };
};
