import { describe, expect, it } from 'vitest';
import { BadLimit, BadToken, page } from '../../local/sim/aws/paging';
import { isSpent, launchRetrySeconds } from '../../local/sim/launch-faults';

const bounds = { min: 1, max: 100, default: 100 };

describe('AWS-style paging', () => {
  it('walks every item exactly once through the tokens', () => {
    const items = Array.from({ length: 7 }, (_, i) => `g${i}`);
    const seen: string[] = [];
    let token: string | null = null;
    let requests = 0;
    do {
      const result: { items: string[]; nextToken: string | undefined } = page(items, 'nodegroups/c', '3', token, bounds);
      seen.push(...result.items);
      token = result.nextToken ?? null;
      requests += 1;
    } while (token);
    expect(seen).toEqual(items);
    expect(requests).toBe(3);
  });
  it('refuses a token of another call, garbage, and limits out of range', () => {
    const other = page(['a', 'b'], 'clusters', '1', null, bounds).nextToken ?? '';
    expect(() => page(['a', 'b'], 'nodegroups/c', '1', other, bounds)).toThrow(BadToken);
    expect(() => page(['a'], 's', null, 'not-a-token', bounds)).toThrow(BadToken);
    expect(() => page(['a'], 's', '0', null, bounds)).toThrow(BadLimit);
    expect(() => page(['a'], 's', '101', null, bounds)).toThrow(BadLimit);
    expect(page(['a'], 's', null, null, bounds)).toEqual({ items: ['a'], nextToken: undefined });
  });
});

describe('fault limits', () => {
  it('a counted rule is spent after its count; a windowed one after its window', () => {
    const createdAt = new Date(0).toISOString();
    expect(isSpent({ createdAt, count: 2, used: 1 })).toBe(false);
    expect(isSpent({ createdAt, count: 2, used: 2 })).toBe(true);
    expect(isSpent({ createdAt, forSeconds: 10 }, 5_000, 1000)).toBe(false);
    expect(isSpent({ createdAt, forSeconds: 10 }, 10_000, 1000)).toBe(true);
  });
  it('the ASG retry back-off doubles from 10 s to a 300 s cap', () => {
    expect([1, 2, 3, 6, 10].map(launchRetrySeconds)).toEqual([10, 20, 40, 300, 300]);
  });
});
