import { ManualClock } from '@pingora-ts/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnectionPool,
  type IdleEntry,
  type IdleWatch,
  type PoolDropReason,
} from '../src/index.ts';

class Watch implements IdleWatch<number> {
  readonly closed = new Map<number, PoolDropReason>();
  watch(_conn: number, _entry: IdleEntry): void {}
  unwatch(_conn: number): void {}
  close(conn: number, reason: PoolDropReason): void {
    this.closed.set(conn, reason);
  }
}

describe('idle timeouts on the shared timer (fake clock)', () => {
  it('closes each connection once its own timeout has passed, never before', () => {
    type Step =
      | { op: 'put'; key: number; timeout: number }
      | { op: 'get'; key: number }
      | {
          op: 'wait';
          ms: number;
        };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        op: fc.constant('put' as const),
        key: fc.integer({ min: 0, max: 3 }),
        timeout: fc.constantFrom(10, 25, 100, 1000),
      }),
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const watch = new Watch();
        const clock = new ManualClock(500);
        const pool = new ConnectionPool<number, number>({ maxSize: 1000, clock });
        // Model: conn -> [key, deadline, put order]
        const live = new Map<number, { key: number; deadline: number; order: number }>();
        let now = 0;
        let next = 0;
        for (const s of steps) {
          if (s.op === 'put') {
            const conn = next++;
            pool.put(s.key, conn, { idleTimeoutMs: s.timeout, watch });
            live.set(conn, { key: s.key, deadline: now + s.timeout, order: conn });
          } else if (s.op === 'get') {
            const mine = [...live.entries()].filter(([, v]) => v.key === s.key);
            const newest = mine.sort((a, b) => b[1].order - a[1].order)[0];
            expect(pool.get(s.key)).toBe(newest?.[0]);
            if (newest !== undefined) live.delete(newest[0]);
          } else {
            clock.advance(s.ms);
            now += s.ms;
            for (const [conn, v] of live) {
              // Due connections are closed (within the timer's 1 ms slack); others stay.
              if (v.deadline <= now) {
                expect(watch.closed.get(conn)).toBe('idle-timeout');
                live.delete(conn);
              } else if (v.deadline > now + 1) {
                expect(watch.closed.has(conn)).toBe(false);
              } else if (watch.closed.has(conn)) {
                live.delete(conn);
              }
            }
          }
          expect(pool.size).toBe(live.size);
        }
        pool.close();
      }),
      { numRuns: 200 },
    );
  });
});
