import { describe, expect, it } from 'vitest';
import { MAX_SKETCH_COUNTERS } from '../src/index.ts';
import { sketchShape, TinyLfu } from '../src/tiny-lfu.ts';

describe('TinyLfu', () => {
  it("sizes the sketch by Pingora's formula", () => {
    expect(sketchShape(1_000_000)).toEqual([2718282, 20]);
    expect(sketchShape(5)).toEqual([16, 3]);
    expect(sketchShape(0)).toEqual([16, 2]);
    expect(() => new TinyLfu(1e8)).toThrow(RangeError);
    expect(new TinyLfu(1e6).slots * new TinyLfu(1e6).hashes).toBeLessThan(MAX_SKETCH_COUNTERS);
  });

  it('counts, never underestimates, and halves everything after the window', () => {
    const lfu = new TinyLfu(1); // window of 8 increments
    expect(lfu.get(11)).toBe(0);
    expect(lfu.incr(11)).toBe(1);
    expect(lfu.incr(11)).toBe(2);
    const two = lfu.get(22);
    expect(lfu.incr(22)).toBe(two + 1);
    for (let i = 0; i < 5; i++) lfu.incr(33);
    expect(lfu.get(33)).toBeGreaterThanOrEqual(5);
    // the 9th increment ages first: 33 had >= 5, now >= 2 and then + 1
    expect(lfu.incr(33)).toBeGreaterThanOrEqual(3);
    expect(lfu.get(33)).toBeLessThan(5 + 1);
    expect(lfu.get(11)).toBeGreaterThanOrEqual(1);
  });

  it('saturates at 255 instead of wrapping', () => {
    const lfu = new TinyLfu(1000);
    for (let i = 0; i < 300; i++) lfu.incr(7);
    expect(lfu.get(7)).toBe(255);
    lfu.age();
    expect(lfu.get(7)).toBe(127);
  });
});
