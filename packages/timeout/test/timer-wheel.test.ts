/**
 * The timer wheel against a model on a ManualClock: every armed deadline
 * fires once, never early and at most one tick late; disarmed or re-armed
 * ones fire per their latest arm; the driver timer is one at a time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, TimerWheel, type WheelEntry } from '../src/index.ts';

class Entry implements WheelEntry {
  deadline = 0;
  wheelTick = 0;
  readonly fired: number[] = [];
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  onDeadline(): void {
    this.fired.push(this.clock.now());
  }
}

type Step =
  | { op: 'arm'; entry: number; ms: number }
  | { op: 'disarm'; entry: number }
  | { op: 'release'; entry: number }
  | { op: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('arm' as const),
    entry: fc.integer({ min: 0, max: 5 }),
    ms: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, -1, Infinity, 0.5, 10.5)),
  }),
  fc.record({ op: fc.constant('disarm' as const), entry: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('release' as const), entry: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120 }) }),
);

describe('TimerWheel (fake clock)', () => {
  it('fires each armed deadline once, never early and at most one tick late', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 120 }),
        fc.constantFrom(1, 10, 25),
        fc.integer({ min: 0, max: 1000 }),
        (steps, res, start) => {
          const clock = new ManualClock(start);
          const wheel = new TimerWheel({ clock, resolutionMs: res });
          const entries = Array.from({ length: 6 }, () => new Entry(clock));
          // Model: the deadline each entry should fire at (undefined: none armed).
          const expected: (number | undefined)[] = entries.map(() => undefined);
          const check = () => {
            entries.forEach((e, i) => {
              const want = expected[i];
              const got = e.fired.shift();
              expect(e.fired).toEqual([]);
              if (want !== undefined && got !== undefined) {
                expect(got).toBeGreaterThanOrEqual(want);
                expect(got).toBeLessThanOrEqual(Math.ceil(want / res) * res);
                expected[i] = undefined;
              } else if (got !== undefined) {
                throw new Error(`entry ${i} fired at ${got} with nothing armed`);
              } else if (want !== undefined) {
                // Not fired yet: it must not be overdue by more than a tick.
                expect(clock.now()).toBeLessThan(Math.ceil(want / res) * res);
              }
            });
          };
          for (const s of steps) {
            if (s.op === 'arm') {
              wheel.arm(entries[s.entry] as Entry, s.ms);
              const armed = s.ms > 0 && s.ms !== Infinity;
              expected[s.entry] = armed ? clock.now() + s.ms : undefined;
            } else if (s.op === 'disarm') {
              wheel.disarm(entries[s.entry] as Entry);
              expected[s.entry] = undefined;
            } else if (s.op === 'release') {
              wheel.release(entries[s.entry] as Entry);
              expected[s.entry] = undefined;
            } else {
              clock.advance(s.ms);
            }
            check();
            // One driver timer at most, whatever was armed.
            expect(clock.pending).toBeLessThanOrEqual(1);
          }
          // Everything still armed fires within a tick of its deadline.
          clock.advance(300 + res);
          check();
          expect(expected.every((e) => e === undefined)).toBe(true);
          expect(clock.pending).toBe(0);
          expect(wheel.filed).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('release unfiles at once (a disarmed entry stays filed until its slot is due), and the others in its slot still fire', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock, resolutionMs: 10 });
    const [a, b, c] = [new Entry(clock), new Entry(clock), new Entry(clock)];
    for (const e of [a, b, c]) wheel.arm(e, 60_000);
    wheel.disarm(a);
    expect(wheel.filed).toBe(3);
    wheel.release(b);
    expect(wheel.filed).toBe(2);
    expect(b.wheelTick).toBe(0);
    wheel.release(b); // twice: nothing more
    expect(wheel.filed).toBe(2);
    wheel.arm(b, 50); // usable again after release
    clock.advance(60_000);
    expect(a.fired).toEqual([]);
    expect(b.fired).toEqual([50]);
    expect(c.fired).toEqual([60_000]);
    expect(wheel.filed).toBe(0);
  });

  it('re-arming later costs no new filing until the old slot comes due', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock, resolutionMs: 10 });
    const e = new Entry(clock);
    wheel.arm(e, 100);
    for (let i = 0; i < 1000; i++) wheel.arm(e, 100 + i);
    expect(wheel.filed).toBe(1);
    clock.advance(100); // the first slot: moved to the slot of the latest deadline
    expect(e.fired).toEqual([]);
    expect(wheel.filed).toBe(1);
    clock.advance(999);
    expect(e.fired).toEqual([]);
    clock.advance(1); // 1099 rounds up to the 1100 tick
    expect(e.fired).toEqual([1100]);
  });

  it('keeps firing the other entries when one callback throws', async () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock });
    const order: string[] = [];
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.prependListener('uncaughtException', onError);
    try {
      wheel.schedule(20, () => {
        order.push('a');
        throw new Error('boom');
      });
      wheel.schedule(20, () => order.push('b'));
      clock.advance(20);
      expect(order).toEqual(['a', 'b']);
      await new Promise((r) => process.nextTick(r));
    } finally {
      process.removeListener('uncaughtException', onError);
    }
    expect(errors).toHaveLength(1);
  });

  it('schedule, cancel, refresh and sleep with an abort signal', async () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock, resolutionMs: 5 });
    let fired = 0;
    const t = wheel.schedule(50, () => fired++);
    expect(t.pending).toBe(true);
    clock.advance(30);
    t.refresh(50);
    clock.advance(49);
    expect(fired).toBe(0);
    clock.advance(5);
    expect(fired).toBe(1);
    expect(t.pending).toBe(false);
    t.refresh(10);
    t.cancel();
    clock.advance(100);
    expect(fired).toBe(1);

    const slept = wheel.sleep(40);
    clock.advance(45); // at most a tick late
    await expect(slept).resolves.toBeUndefined();
    const ac = new AbortController();
    const aborted = wheel.sleep(40, ac.signal);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await expect(wheel.sleep(1, AbortSignal.abort(new Error('early')))).rejects.toThrow('early');
    expect(() => new TimerWheel({ resolutionMs: 0 })).toThrow(RangeError);
  });

  it('runs on the real clock too', async () => {
    const wheel = new TimerWheel();
    const start = performance.now();
    await wheel.sleep(30);
    // Never early; the bound on lateness is loose because the machine is shared.
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
  });
});
