import { describe, expect, it } from 'vitest';
import { failureClass } from '../../functions/domain/failure-class';

/** The fail_reason code record-failure classifies: `<reason>: …` for DeploymentFailed, `<Error>: …` otherwise. */
const codeOf = (error: string, cause: string): string => (error === 'DeploymentFailed' ? cause : error);
const deploymentFailed = (reason: string) => reason;

describe('whose failure a failed workflow was (M11, m10)', () => {
  it("the tenant's model, configuration or chosen image: no page", () => {
    for (const reason of ['ModelAccessDenied', 'CrashLoopBackOff', 'OOMKilled', 'ModelLoadTimeout']) {
      expect(failureClass(codeOf('DeploymentFailed', deploymentFailed(reason)), { customImage: false }), reason).toBe('workload');
    }
    expect(failureClass(codeOf('DeploymentFailed', deploymentFailed('ImagePullBackOff')), { customImage: true })).toBe('workload');
  });

  it("the platform's: node capacity, the control plane's own image, timeouts and unexpected task errors page", () => {
    for (const reason of ['NodeProvisioningTimeout', 'NodeGroupUnhealthy', 'Unschedulable', 'WorkloadMissing', 'UnknownGpuConfig']) {
      expect(failureClass(codeOf('DeploymentFailed', deploymentFailed(reason)), { customImage: false }), reason).toBe('platform');
    }
    expect(failureClass(codeOf('DeploymentFailed', deploymentFailed('ImagePullBackOff')), { customImage: false })).toBe('platform');
    expect(failureClass(codeOf('States.Timeout', 'State timed out'), { customImage: true })).toBe('platform');
    expect(failureClass(codeOf('Error', JSON.stringify({ errorType: 'Error', errorMessage: 'connect ETIMEDOUT' })), { customImage: false })).toBe('platform');
  });
});
