/** The controllers' slice of the simulator state. */

export interface DeploymentProgress {
  fingerprint: string;
  at: number;
}

/**
 * A workload controller's failed pod creations (by owner uid): the next try waits, growing like
 * the controllers' rate-limited work queue, and the message becomes the ReplicaFailure condition.
 */
export interface CreateFailure {
  count: number;
  retryAt: number;
  message: string;
}
