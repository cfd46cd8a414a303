import { describe, expect, it } from 'vitest';
import { Backend, compareBackends, Random } from '../src/index.ts';
import { seededRandom } from './utils/rng.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';
import { countFirstPicks, expectWeightedShares } from './utils/shares.ts';

selectionConformance('Random', Random, { deterministicPerKey: false });
selectionConformance('Random (seeded)', Random.withSource(seededRandom(7)), {
  deterministicPerKey: false,
});

describe('Random', () => {
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
