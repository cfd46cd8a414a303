import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proportionalRate, Rate, type RateComponents } from '../src/index.ts';

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('Rate', () => {
  it('reports the previous full interval per second (Pingora test_observe_rate)', () => {
    const clock = manualClock();
    const r = new Rate(1000, { now: clock.now, seed: 1 });
    expect(r.observe('k', 3)).toBe(3);
    expect(r.observe('k', 2)).toBe(5);
    expect(r.rate('k')).toBe(0); // no full interval yet

    clock.advance(1000);
    expect(r.observe('k', 4)).toBe(4);
    expect(r.rate('k')).toBe(5);

    clock.advance(1000);
    expect(r.rate('k')).toBe(4);

    clock.advance(1000);
    expect(r.rate('k')).toBe(0); // nothing in the last 2 intervals
  });

  it('scales by the interval length', () => {
    const clock = manualClock();
    const r = new Rate(250, { now: clock.now, seed: 2 });
    r.observe('k', 10);
    clock.advance(250);
    expect(r.rate('k')).toBe(40);
  });

  it('forgets both windows after two idle intervals', () => {
    const clock = manualClock();
    const r = new Rate(100, { now: clock.now, seed: 3 });
    r.observe('k', 7);
    clock.advance(250);
    expect(r.rate('k')).toBe(0);
    expect(r.observe('k', 1)).toBe(1);
    expect(r.rateWith('k', (c) => c.prevSamples)).toBe(0);
  });

  it('keeps keys apart', () => {
    const clock = manualClock();
    const r = new Rate(1000, { now: clock.now, seed: 4 });
    r.observe('a', 10);
    r.observe('b', 1);
    clock.advance(1000);
    expect([r.rate('a'), r.rate('b'), r.rate('c')]).toEqual([10, 1, 0]);
  });

  it('gives rateWith the components (Pingora 90/10 test)', () => {
    const clock = manualClock();
    const r = new Rate(1000, { now: clock.now, seed: 5 });
    const fn = (c: RateComponents) =>
      (c.prevSamples * 0.1 + c.currSamples * 0.9) / (c.intervalMs / 1000);
    r.observe('k', 3);
    r.observe('k', 2);
    expect(r.rateWith('k', fn)).toBeCloseTo(5 * 0.9);
    clock.advance(1000);
    r.observe('k', 4);
    expect(r.rateWith('k', fn)).toBeCloseTo(5 * 0.1 + 4 * 0.9);
    clock.advance(1000);
    expect(r.rateWith('k', fn)).toBeCloseTo(4 * 0.1);
    clock.advance(1000);
    expect(r.rateWith('k', fn)).toBe(0);
  });

  it('estimates proportionally inside an interval (Pingora proportional test)', () => {
    const clock = manualClock();
    const r = new Rate(1000, { now: clock.now, seed: 6 });
    r.observe('k', 3);
    r.observe('k', 2);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(5);
    clock.advance(500);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(5);
    expect(r.rate('k')).toBe(0);
    clock.advance(500);
    expect(r.observe('k', 4)).toBe(4);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(9);
    clock.advance(750);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(5 * 0.25 + 4);
    clock.advance(250);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(4);
    expect(r.rate('k')).toBe(4);
    clock.advance(500);
    expect(r.rateWith('k', proportionalRate)).toBeCloseTo(2);
    expect(r.rate('k')).toBe(4);
    clock.advance(1000);
    expect(r.rateWith('k', proportionalRate)).toBe(0);
  });

  it('measures a steady stream over many simulated intervals', () => {
    const clock = manualClock();
    const r = new Rate(1000, { now: clock.now, seed: 7 });
    // 50 events per 100 ms for 10 s: 500 per second
    for (let step = 0; step < 100; step++) {
      r.observe('steady', 50);
      if (step > 20) expect(r.rate('steady')).toBe(500);
      clock.advance(100);
    }
  });

  it('matches an exact model of the two windows on any schedule', () => {
    // the same flip rule as Pingora, on exact Map counts; the sketch may only overestimate
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 900 }),
            fc.constantFrom('a', 'b', 'c'),
            fc.integer({ min: 0, max: 20 }),
            fc.boolean(),
          ),
          { maxLength: 80 },
        ),
        (steps) => {
          const clock = manualClock();
          const r = new Rate(400, { now: clock.now, seed: 99 });
          let curr = new Map<string, number>();
          let prev = new Map<string, number>();
          let last = clock.now();
          const flip = () => {
            const past = clock.now() - last;
            if (past < 400) return past;
            prev = past >= 800 ? new Map() : curr;
            curr = new Map();
            last = clock.now();
            return past;
          };
          for (const [dt, key, events, observe] of steps) {
            clock.advance(dt);
            if (observe) {
              const seen = r.observe(key, events);
              flip();
              curr.set(key, (curr.get(key) ?? 0) + events);
              expect(seen).toBeGreaterThanOrEqual(curr.get(key)!);
            }
            const got = r.rate(key);
            const past = flip();
            const want = past >= 800 ? 0 : ((prev.get(key) ?? 0) * 1000) / 400;
            expect(got).toBeGreaterThanOrEqual(want);
            // three keys in 4 x 1024 counters under a fixed seed do not collide
            expect(got).toBe(want);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a bad interval', () => {
    expect(() => new Rate(0)).toThrow(RangeError);
    expect(() => new Rate(Number.NaN)).toThrow(RangeError);
  });

  it('uses a real monotonic clock by default', () => {
    const r = new Rate(60_000);
    expect(r.observe('k', 1)).toBe(1);
    expect(r.rate('k')).toBe(0);
  });
});
