import { describe, expect, it } from 'vitest';
import { describeLoadScaling } from '../../cli/commands/autoscaling';
import { describeDeployment } from '../../cli/commands/deployments';
import { LOAD_SCALING_DEFAULTS } from '../../contract/requests/scale';
import { toDeploymentView } from '../../functions/domain/deployment';
import { aDeployment } from '../support/in-memory/records';

const now = new Date('2026-12-01T10:00:00Z');

describe('gpuctl get with the load autoscaler', () => {
  it('shows the range, the settings, the desired replicas and the last decision', () => {
    const record = aDeployment({
      autoscaling: { min_replicas: 0, max_replicas: 4 },
      load_scaling: LOAD_SCALING_DEFAULTS,
      schedule_state: {
        windows_checked_at: now.toISOString(),
        autoscaler: {
          desired: 2,
          last_decision: {
            at: now.toISOString(),
            desired: 2,
            direction: 'up',
            reason: 'sustained load asks for 3 replicas (wanted 3); at most x2 per step',
            outcome: 'scale started',
            inputs: { replicas: 1, min_replicas: 0, max_replicas: 4, floor: 0, target: { metric: 'concurrency', value: 8 }, in_flight: 24, held: 0, completed: 3, running: 20, waiting: 4, kv_cache_usage: 0.5, wanted: 3 },
          },
        },
      },
    });
    const text = describeDeployment(toDeploymentView(record, now));
    expect(text).toContain('range        0 to 4 replicas');
    expect(text).toContain('autoscaler   on: target concurrency 8 per replica, up after 30 s, down after 600 s, to zero after 3600 s idle');
    expect(text).toContain('desired 2 replica(s)');
    expect(text).toContain('last decision 2026-12-01T10:00:00.000Z: 2 (sustained load asks for 3 replicas (wanted 3); at most x2 per step); scale started');
  });

  it('shows nothing of it when it is off', () => {
    const view = toDeploymentView(aDeployment({ autoscaling: { min_replicas: 1, max_replicas: 2 } }), now);
    expect(describeLoadScaling(view)).toBeNull();
    expect(describeDeployment(view)).not.toContain('autoscaler');
  });
});
