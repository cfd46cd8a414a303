/**
 * ErrorLogLimiter on a fake clock: one line per identical message per
 * window, the count of the unlogged ones reported with the next line or by
 * a sweep, bounded keys; and a fast-check model: every occurrence is either
 * logged or counted in a report, never lost, never twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorLogLimiter, SUPPRESSED, type SuppressedReport } from '../src/error-log-limiter.ts';

function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('ErrorLogLimiter', () => {
  it('logs the first of identical errors per window and counts the rest', () => {
    const clock = fakeClock();
    const limiter = new ErrorLogLimiter({ intervalMs: 10_000, now: clock.now });
    expect(limiter.admit('Upstream ConnectRefused peer a')).toBe(0);
    for (let i = 0; i < 99; i++) {
      clock.advance(50);
      expect(limiter.admit('Upstream ConnectRefused peer a')).toBe(SUPPRESSED);
    }
    // A different error is not held back by the first one.
    expect(limiter.admit('Upstream ReadTimedout peer b')).toBe(0);
    clock.advance(10_000);
    // The next occurrence after the window is logged with the count it stands for.
    expect(limiter.admit('Upstream ConnectRefused peer a')).toBe(99);
    expect(limiter.admit('Upstream ConnectRefused peer a')).toBe(SUPPRESSED);
  });

  it('reports counts of errors that stopped recurring when a later call sweeps', () => {
    const clock = fakeClock();
    const limiter = new ErrorLogLimiter({ intervalMs: 1000, now: clock.now });
    limiter.admit('a');
    limiter.admit('a');
    limiter.admit('a');
    limiter.admit('b');
    const reports: SuppressedReport[] = [];
    limiter.sweep((r) => reports.push(r));
    expect(reports).toEqual([]); // windows still open
    clock.advance(1000);
    limiter.sweep((r) => reports.push(r));
    expect(reports).toEqual([{ message: 'a', suppressed: 2, windowMs: 1000 }]);
    expect(limiter.size).toBe(0);
  });

  it('tracks at most maxKeys messages, reporting what it drops', () => {
    const clock = fakeClock();
    const limiter = new ErrorLogLimiter({ intervalMs: 60_000, maxKeys: 3, now: clock.now });
    for (const k of ['a', 'b', 'c', 'd', 'e']) {
      limiter.admit(k);
      limiter.admit(k);
    }
    const reports: SuppressedReport[] = [];
    limiter.sweep((r) => reports.push(r));
    expect(limiter.size).toBe(3);
    expect(reports.map((r) => [r.message, r.suppressed])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('with intervalMs 0 logs everything', () => {
    const limiter = new ErrorLogLimiter({ intervalMs: 0 });
    expect(limiter.admit('a')).toBe(0);
    expect(limiter.admit('a')).toBe(0);
  });

  it('loses and duplicates no occurrence, logging at most one per message per window (model)', () => {
    const step = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 700 }));
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 300 }),
        fc.integer({ min: 1, max: 4 }),
        (steps, maxKeys) => {
          const clock = fakeClock();
          const limiter = new ErrorLogLimiter({ intervalMs: 1000, maxKeys, now: clock.now });
          let accounted = 0;
          const lastLogged = new Map<string, number>();
          const report = (r: SuppressedReport) => {
            accounted += r.suppressed;
          };
          for (const [key, dt] of steps) {
            clock.advance(dt);
            limiter.sweep(report);
            const r = limiter.admit(key);
            if (r === SUPPRESSED) continue;
            accounted += 1 + r;
            const prev = lastLogged.get(key);
            // Logged again within a window only if the key was evicted in between.
            if (prev !== undefined && clock.now() - prev < 1000) expect(maxKeys).toBeLessThan(4);
            lastLogged.set(key, clock.now());
            expect(limiter.size).toBeLessThanOrEqual(maxKeys + 1);
          }
          clock.advance(10_000);
          limiter.sweep(report);
          expect(accounted).toBe(steps.length);
          expect(limiter.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
