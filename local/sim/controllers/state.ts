/** The controllers' slice of the simulator state. */

export interface DeploymentProgress {
  fingerprint: string;
  at: number;
}
