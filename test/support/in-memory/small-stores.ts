/** The small ports in memory: cold-start samples, token secrets, serving metrics, serving settings. */
import type { ColdStartStats, ServingMetrics, ServingReading, ServingSettings, TokenSecrets, TransientErrors } from '../../../functions/ports';

export class InMemoryColdStartStats implements ColdStartStats {
  readonly byKey = new Map<string, number[]>();

  async samples(catalogId: string, gpuConfigId: string): Promise<number[]> {
    return [...(this.byKey.get(`${catalogId}#${gpuConfigId}`) ?? [])];
  }

  async record(catalogId: string, gpuConfigId: string, seconds: number): Promise<void> {
    const key = `${catalogId}#${gpuConfigId}`;
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), Math.round(seconds)].slice(-20));
  }
}

export class InMemoryTokenSecrets implements TokenSecrets {
  readonly secrets = new Map<string, string>();
  /** Set to make `store` fail, as an unreachable Secrets Manager would. */
  failStores: Error | undefined;

  async store(deploymentId: string, token: string): Promise<string> {
    if (this.failStores) throw this.failStores;
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu/hf-token/${deploymentId}`;
    this.secrets.set(arn, token);
    return arn;
  }

  async read(secretArn: string): Promise<string> {
    const token = this.secrets.get(secretArn);
    if (token === undefined) throw new Error(`ResourceNotFoundException: secret ${secretArn} not found`);
    return token;
  }

  async delete(secretArn: string): Promise<void> {
    this.secrets.delete(secretArn);
  }
}

export class InMemoryServingMetrics implements ServingMetrics {
  readonly readings = new Map<string, ServingReading | Error>();

  async read(deploymentId: string): Promise<ServingReading> {
    const reading = this.readings.get(deploymentId) ?? { counter: 0, running: 0, pods: 0 };
    if (reading instanceof Error) throw reading;
    return { ...reading };
  }
}

export const servingSettings = (): ServingSettings => ({
  namespace: 'models',
  image: 'vllm/vllm-openai:v0.11.0',
  ingress: { apiServerCidrs: ['10.0.0.0/16'] },
  endpointUrlTemplate: 'http://{service}.{namespace}.svc.cluster.local:8000/v1',
});

/** An error a test throws to stand for throttling or a dropped connection. */
export class TransientTestError extends Error {
  override name = 'TransientTestError';
}

export const transientErrors: TransientErrors = { isTransient: (error) => error instanceof TransientTestError };
