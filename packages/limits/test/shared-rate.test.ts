/**
 * Rate and Estimator over shared memory: instances on one SharedArrayBuffer (one per server
 * thread) count in the same windows; intervals follow the wall clock; a new
 * interval clears the stale window once. Real threads sharing one Rate:
 * apps/rate-limiter's threads test (exactly one 429 over four threads).
 */
import { describe, expect, it } from 'vitest';
import { Estimator, Rate } from '../src/index.ts';

function sharedCells(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Rate.sharedLength(4, 64)));
}

describe('Rate with shared memory', () => {
  it('instances on one buffer count together, per wall-clock interval', () => {
    let t = 10_000; // interval 10 of 1000 ms
    const now = () => t;
    const cells = sharedCells();
    const a = new Rate(1000, { shared: cells, hashes: 4, slots: 64, now, seed: 7 });
    const b = new Rate(1000, { shared: cells, hashes: 4, slots: 64, now, seed: 99 });
    expect(a.observe('k', 1)).toBe(1);
    expect(b.observe('k', 2)).toBe(3);
    expect(a.observe('other', 1)).toBe(1);
    t = 10_999;
    expect(b.observe('k', 1)).toBe(4);
    t = 11_250; // next interval: the previous one holds 4 events of k
    expect(a.rate('k')).toBe(4);
    expect(
      b.rateWith('k', (c) => [c.prevSamples, c.currSamples, c.currentIntervalFraction]),
    ).toEqual([4, 0, 0.25]);
    expect(a.observe('k', 1)).toBe(1);
    t = 13_000; // two intervals later: all stale
    expect(a.rate('k')).toBe(0);
    expect(b.observe('k', 1)).toBe(1);
  });

  it('refuses memory that is not shared or too small', () => {
    expect(() => new Rate(1000, { shared: new Int32Array(Rate.sharedLength()) })).toThrow(
      /SharedArrayBuffer/,
    );
    expect(() => new Rate(1000, { shared: new Int32Array(new SharedArrayBuffer(16)) })).toThrow(
      /needs/,
    );
  });
});

describe('Estimator with shared memory', () => {
  it('instances on one buffer count together with one seed; reset clears for all', () => {
    const cells = new Int32Array(new SharedArrayBuffer(4 * Estimator.sharedLength(4, 64)));
    const a = new Estimator(4, 64, { shared: cells, seed: 1 });
    const b = new Estimator(4, 64, { shared: cells, seed: 2 });
    expect(a.keyHash('k')).toBe(b.keyHash('k'));
    expect(a.incr('k', 3)).toBe(3);
    expect(b.incr('k', 2)).toBe(5);
    b.decr('k', 1);
    expect(a.get('k')).toBe(4);
    expect(a.get('unseen')).toBe(0);
    b.reset();
    expect(a.get('k')).toBe(0);
    expect(() => new Estimator(4, 64, { shared: new Int32Array(10) })).toThrow(/SharedArrayBuffer/);
  });
});
