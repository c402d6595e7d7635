import { randomBytes } from 'node:crypto';

/**
 * `dep-` + 9 base36 chars of milliseconds + 8 random base36 chars. Sorting ids sorts by
 * creation time, so a project's newest deployments come first in one Query.
 */
export const newDeploymentId = (now: Date): string => {
  const time = now.getTime().toString(36).padStart(9, '0');
  const random = [...randomBytes(8)].map((b) => (b % 36).toString(36)).join('');
  return `dep-${time}${random}`;
};
