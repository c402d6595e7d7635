/**
 * Injected AWS-side faults for the local cloud: throttling answered by DynamoDB, Step Functions,
 * EKS and Auto Scaling exactly as each service answers it, and Lambda tasks of the Step
 * Functions runner timing out. One controller (`LocalCloud.faults`) decides, per request, whether
 * a fault fires; each endpoint only renders it in its protocol. docs/local-iam.md lists the shapes.
 *
 * Faults hit only requests made by the control plane's functions (the x-local-lambda-function
 * header): the operator's and the tests' own calls see the service as it is, so a test can
 * observe what the functions did without its assertions being throttled too.
 */
export type FaultService = 'dynamodb' | 'stepfunctions' | 'eks' | 'autoscaling' | 'lambda-timeout';

export interface FaultRule {
  /** Fire for at most this many matching requests (default: unlimited while `rate` applies). */
  readonly count?: number;
  /** Probability in [0, 1] that a matching request faults (default 1). */
  readonly rate?: number;
  /** Only these operations (API names such as PutItem, StartExecution; for lambda-timeout, function names). */
  readonly operations?: readonly string[];
  /** Only requests of these functions (`<prefix>-<name>`); default: any function. */
  readonly callers?: readonly string[];
  /**
   * The error to answer with: for dynamodb 'ProvisionedThroughputExceededException' (default) or
   * 'ThrottlingException'; for lambda-timeout 'Sandbox.Timedout' (default, the function's own
   * timeout) or 'States.Timeout' (the Task's TimeoutSeconds).
   */
  readonly code?: string;
}

interface ActiveRule extends FaultRule {
  remaining: number;
}

export class LocalFaults {
  private readonly rules = new Map<FaultService, ActiveRule[]>();
  private readonly fired = new Map<FaultService, number>();

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a rule; rules of a service are tried in the order they were added. */
  inject(service: FaultService, rule: FaultRule): void {
    const rate = rule.rate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate must be within [0, 1], got ${rule.rate}`);
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0)) throw new Error(`fault count must be a whole number, got ${rule.count}`);
    const list = this.rules.get(service) ?? [];
    list.push({ ...rule, remaining: rule.count ?? Number.POSITIVE_INFINITY });
    this.rules.set(service, list);
  }

  /** Removes the rules of one service, or of all. */
  clear(service?: FaultService): void {
    if (service) this.rules.delete(service);
    else this.rules.clear();
  }

  /** How many faults of a service have fired since the start. */
  firedCount(service: FaultService): number {
    return this.fired.get(service) ?? 0;
  }

  /** Whether this request faults, and with which code (undefined: it does not). */
  take(service: FaultService, operation: string, caller: string | undefined): { code: string | undefined } | undefined {
    if (caller === undefined) return undefined;
    for (const rule of this.rules.get(service) ?? []) {
      if (rule.remaining <= 0) continue;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      if (rule.callers && !rule.callers.includes(caller)) continue;
      if (this.random() >= (rule.rate ?? 1)) continue;
      rule.remaining--;
      this.fired.set(service, this.firedCount(service) + 1);
      return { code: rule.code };
    }
    return undefined;
  }
}
