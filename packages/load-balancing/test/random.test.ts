import { describe, expect, it } from 'vitest';
import { compareBackends } from '../src/backend.ts';
import { Backend, PowerOfTwoChoices, Random } from '../src/index.ts';
import { FastRandom } from '../src/selection/fast-random.ts';
import { seededRandom } from './utils/rng.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';
import { countFirstPicks, expectWeightedShares } from './utils/shares.ts';

selectionConformance('Random', Random, { deterministicPerKey: false });
selectionConformance('Random (seeded)', Random.withSource(seededRandom(7)), {
  deterministicPerKey: false,
});

describe('FastRandom', () => {
  it('repeats for a seed and stays in range', () => {
    const seed = Int32Array.of(1, 2, 3, 4);
    const a = new FastRandom(seed);
    const b = new FastRandom(seed);
    for (let i = 0; i < 1000; i++) {
      const x = a.nextU32();
      expect(b.nextU32()).toBe(x);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(2 ** 32);
      const k = a.below(7);
      b.below(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
    // An all-zero seed still yields a varied stream.
    const zero = new FastRandom(Int32Array.of(0, 0, 0, 0));
    expect(new Set(Array.from({ length: 20 }, () => zero.nextU32())).size).toBe(20);
  });

  it('is uniform: 10 buckets within 3% of 100k draws each way (fixed seed)', () => {
    const rng = new FastRandom(Int32Array.of(7, 11, 13, 17));
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[rng.below(10)]!++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(300);
  });
});

describe('Random', () => {
  it('draws by weight with its built-in generator: within 2 points over 100k picks', () => {
    const set = backendSet(5, (i) => [1, 2, 3, 5, 9][i]!);
    const picks = 100_000;
    expectWeightedShares(set, countFirstPicks(Random.build(set), picks), picks);
    expectWeightedShares(set, countFirstPicks(PowerOfTwoChoices.build(set), picks), picks);
  });

  it('draws first candidates by weight within 2 points over 100k picks', () => {
    const set = backendSet(5, (i) => [1, 2, 3, 5, 9][i]!);
    const picks = 100_000;
    expectWeightedShares(
      set,
      countFirstPicks(Random.withSource(seededRandom(42)).build(set), picks),
      picks,
    );
  });

  it('gives a weight-8 backend about 80% (as Pingora test_random)', () => {
    const b1 = new Backend('1.1.1.1:80');
    const b2 = new Backend('1.0.0.1:80', { weight: 8 });
    const b3 = new Backend('1.0.0.255:80');
    const counts = countFirstPicks(Random.build([b1, b2, b3].sort(compareBackends)), 10_000);
    expect(counts.get(b2.addr)).toBeGreaterThanOrEqual(7000);
    expect(counts.get(b2.addr)).toBeLessThanOrEqual(9000);
  });
});
