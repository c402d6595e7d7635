import { describe, expect, it } from 'vitest';
import {
  hardDeadlineSeconds,
  judgeLedger,
  judgeOperation,
  LEDGER_CONFIRM_SECONDS,
  SETTLE_SECONDS,
  START_GRACE_SECONDS,
  START_GRACE_WALL_SECONDS,
  type ExecutionState,
} from '../../functions/domain/reconcile';

const at = new Date('2026-11-23T12:00:00.000Z');
const ago = (seconds: number) => new Date(at.getTime() - seconds * 1000).toISOString();
const deploy = {
  operation: 'deploy' as const,
  status: 'initializing' as const,
  execution_arn: 'arn:aws:states:us-east-1:1:execution:cp-deploy:dep-1-deploy-20261123T115900-abcd',
  updated_at: ago(600),
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  initial_delay_seconds: null,
};
const terminating = { ...deploy, operation: 'delete' as const, status: 'terminating' as const };

describe('judgeOperation', () => {
  const judge = (record: Parameters<typeof judgeOperation>[0], execution: ExecutionState, timeScale = 1) =>
    judgeOperation(record, execution, at, timeScale);

  it('leaves a running execution alone', () => {
    expect(judge(deploy, { status: 'RUNNING', startedAt: ago(60) })).toEqual({ kind: 'alive' });
    expect(judge(deploy, { status: 'PENDING_REDRIVE', startedAt: ago(60) })).toEqual({ kind: 'alive' });
  });

  it('calls an execution that ended without recording an outcome lost, once it has settled', () => {
    const ended = (seconds: number): ExecutionState => ({ status: 'ABORTED', startedAt: ago(900), stoppedAt: ago(seconds) });
    expect(judge(deploy, ended(SETTLE_SECONDS - 1))).toMatchObject({ kind: 'settling' });
    expect(judge(deploy, ended(SETTLE_SECONDS + 1))).toEqual({
      kind: 'lost',
      failure: {
        reason: 'WorkflowLost',
        message: `the deploy execution dep-1-deploy-20261123T115900-abcd ended ABORTED at ${ago(SETTLE_SECONDS + 1)} without recording an outcome`,
      },
    });
    for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT'] as const) {
      expect(judge(terminating, { status, startedAt: ago(900), stoppedAt: ago(600) })).toMatchObject({ kind: 'lost' });
    }
  });

  it('gives an execution that does not exist the time the API needs to start it', () => {
    expect(judge({ ...deploy, updated_at: ago(START_GRACE_SECONDS - 1) }, { status: 'NOT_FOUND' })).toMatchObject({ kind: 'settling' });
    expect(judge({ ...deploy, updated_at: ago(START_GRACE_SECONDS + 1) }, { status: 'NOT_FOUND' })).toEqual({
      kind: 'lost',
      failure: { reason: 'WorkflowLost', message: 'the deploy execution dep-1-deploy-20261123T115900-abcd was never started' },
    });
  });

  it('gives the API real seconds to start an execution, whatever the time scale (its Lambda timeout is not scaled)', () => {
    const justWritten = { ...deploy, updated_at: ago(START_GRACE_WALL_SECONDS - 1) };
    expect(judge(justWritten, { status: 'NOT_FOUND' }, 0.01)).toMatchObject({ kind: 'settling' });
    expect(judge({ ...deploy, updated_at: ago(START_GRACE_WALL_SECONDS + 1) }, { status: 'NOT_FOUND' }, 0.01)).toMatchObject({ kind: 'lost' });
  });

  it('measures in cluster seconds: the local cloud runs 100 times faster at time scale 0.01', () => {
    const stopped: ExecutionState = { status: 'ABORTED', startedAt: ago(10), stoppedAt: ago(1.3) };
    expect(judge(deploy, stopped, 1)).toMatchObject({ kind: 'settling' });
    expect(judge(deploy, stopped, 0.01)).toMatchObject({ kind: 'lost' });
  });

  it('stops a deploy running past the sum of its phase deadlines, but only reports a slow delete', () => {
    const deadline = hardDeadlineSeconds(deploy);
    expect(deadline).toBeGreaterThan(900 + 300 + 900);
    expect(judge(deploy, { status: 'RUNNING', startedAt: ago(deadline - 1) })).toEqual({ kind: 'alive' });
    expect(judge(deploy, { status: 'RUNNING', startedAt: ago(deadline + 1) })).toEqual({
      kind: 'overdue',
      runningSeconds: deadline + 1,
      deadlineSeconds: deadline,
    });
    expect(judge(terminating, { status: 'RUNNING', startedAt: ago(deadline + 1) })).toEqual({ kind: 'slow_delete', runningSeconds: deadline + 1 });
    expect(judge(terminating, { status: 'RUNNING', startedAt: ago(60) })).toEqual({ kind: 'alive' });
  });

  it('gives a bigger model, or a raised initial delay, a later hard deadline', () => {
    const small = hardDeadlineSeconds(deploy);
    expect(hardDeadlineSeconds({ ...deploy, catalog_id: 'meta-llama-Llama-3.3-70B-Instruct' })).toBeGreaterThan(small);
    expect(hardDeadlineSeconds({ ...deploy, initial_delay_seconds: 20_000 })).toBeGreaterThan(20_000);
  });
});

describe('judgeLedger', () => {
  const confirmLater = (seconds: number) => new Date(at.getTime() + seconds * 1000);

  it('does nothing when the ledger matches the records', () => {
    expect(judgeLedger({ ledger: 4, ledgerUpdatedAt: ago(5), records: 4 }, at, 1)).toEqual({ kind: 'in_sync' });
  });

  it('remembers a first sighting instead of repairing it (a reservation or release may be in flight)', () => {
    expect(judgeLedger({ ledger: 8, ledgerUpdatedAt: ago(5), records: 4 }, at, 1)).toEqual({
      kind: 'observe',
      observation: { ledger: 8, records: 4, ledger_updated_at: ago(5), at: at.toISOString() },
    });
  });

  it('repairs the same drift seen again after the confirmation interval, and not before', () => {
    const previous = { ledger: 8, records: 4, ledger_updated_at: ago(5), at: at.toISOString() };
    const current = { ledger: 8, ledgerUpdatedAt: ago(5), records: 4, previous };
    expect(judgeLedger(current, confirmLater(LEDGER_CONFIRM_SECONDS - 1), 1)).toEqual({ kind: 'wait', since: at.toISOString() });
    expect(judgeLedger(current, confirmLater(LEDGER_CONFIRM_SECONDS), 1)).toEqual({ kind: 'repair', from: 8, to: 4 });
  });

  it('starts over when the ledger, its updated_at or the records moved in between', () => {
    const previous = { ledger: 8, records: 4, ledger_updated_at: ago(5), at: at.toISOString() };
    const later = confirmLater(LEDGER_CONFIRM_SECONDS * 2);
    expect(judgeLedger({ ledger: 7, ledgerUpdatedAt: ago(5), records: 4, previous }, later, 1)).toMatchObject({ kind: 'observe' });
    expect(judgeLedger({ ledger: 8, ledgerUpdatedAt: ago(1), records: 4, previous }, later, 1)).toMatchObject({ kind: 'observe' });
    expect(judgeLedger({ ledger: 8, ledgerUpdatedAt: ago(5), records: 5, previous }, later, 1)).toMatchObject({ kind: 'observe' });
  });

  it('repairs an undercount the same way (a ledger item that was never written counts as 0)', () => {
    const previous = { ledger: 0, records: 2, ledger_updated_at: null, at: at.toISOString() };
    expect(judgeLedger({ ledger: 0, ledgerUpdatedAt: null, records: 2, previous }, confirmLater(LEDGER_CONFIRM_SECONDS), 1)).toEqual({
      kind: 'repair',
      from: 0,
      to: 2,
    });
  });
});
