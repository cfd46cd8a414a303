/**
 * Counts how a selection spreads picks, and checks the spread against the
 * backends' weights: each backend's share within `points` percentage points
 * of weight / total weight.
 */
import { expect } from 'vitest';
import type { Backend, BackendSelection } from '../../src/index.ts';

export function countFirstPicks(
  selection: BackendSelection,
  picks: number,
  key: (i: number) => string = () => '',
): Map<string, number> {
  const counts = new Map<string, number>();
  const iter = selection.iter(key(0));
  for (let i = 0; i < picks; i++) {
    iter.reset?.(key(i));
    const b = (iter.reset === undefined ? selection.iter(key(i)) : iter).next()!;
    counts.set(b.addr, (counts.get(b.addr) ?? 0) + 1);
  }
  return counts;
}

export function expectWeightedShares(
  backends: readonly Backend[],
  counts: ReadonlyMap<string, number>,
  picks: number,
  points = 2,
): void {
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  for (const b of backends) {
    const share = ((counts.get(b.addr) ?? 0) / picks) * 100;
    const expected = (b.weight / total) * 100;
    expect(
      Math.abs(share - expected),
      `${b.addr}: ${share.toFixed(2)}% vs ${expected.toFixed(2)}%`,
    ).toBeLessThanOrEqual(points);
  }
}
