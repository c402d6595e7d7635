/**
 * Whose failure a failed deploy or scale was. Pure. Alarms page on the platform's failures
 * only: a tenant's model that crashes, a custom image that does not exist or a gated model
 * refused by Hugging Face is reported to the tenant (fail_reason), and nobody can fix it at
 * night. Anything not known to be the workload's is the platform's, so new failure kinds page
 * until someone decides otherwise.
 */
export type FailureClass = 'workload' | 'platform';

/** Reasons (the fail_reason code) that come from the model, its configuration or its image. */
const WORKLOAD_REASONS = new Set(['ModelAccessDenied', 'CrashLoopBackOff', 'OOMKilled', 'ModelLoadTimeout', 'UnknownModel']);
/** An image that cannot be pulled is the tenant's when they chose it; ours otherwise (registry, cache, pull limits). */
const IMAGE_REASONS = new Set(['ImagePullBackOff', 'ImagePullTimeout', 'ErrImagePull']);

export const failureClass = (reasonCode: string, deployment: { customImage: boolean }): FailureClass => {
  if (WORKLOAD_REASONS.has(reasonCode)) return 'workload';
  if (IMAGE_REASONS.has(reasonCode)) return deployment.customImage ? 'workload' : 'platform';
  return 'platform';
};
