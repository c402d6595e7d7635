import { describe, expect, it } from 'vitest';
import { duration, newLines, table } from '../../cli/output';

describe('gpuctl output helpers', () => {
  it('prints only the lines after the overlap with what was printed before', () => {
    expect(newLines([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual(['d', 'e']);
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
    // A repeated line is matched by the longest overlap, not its first occurrence.
    expect(newLines(['x', 'y', 'x'], ['y', 'x', 'x'])).toEqual(['x']);
    // No overlap (the log rolled past the tail): everything is new.
    expect(newLines(['a'], ['q', 'r'])).toEqual(['q', 'r']);
  });

  it('formats durations and aligns table columns', () => {
    expect([duration(0), duration(59.6), duration(75), duration(3700)]).toEqual(['0s', '1m00s', '1m15s', '1h1m']);
    expect(table([{ a: 'long value', b: 1 }, { a: 'x', b: null }], [['A', (r) => r.a], ['B', (r) => r.b]])).toBe('A           B\nlong value  1\nx           -');
  });
});
