/**
 * Timeout micro-benchmark: re-arming the deadline of one of 10,000 live
 * sessions (what every read of a body does) on the shared TimerWheel, against
 * Node's own ways: clearTimeout + setTimeout per re-arm, and `timeout.refresh()`.
 */
import { TimerWheel, type WheelEntry } from '@pingora-ts/timeout';
import { bench, do_not_optimize, group, summary } from 'mitata';

const SESSIONS = 10_000;
const TIMEOUT_MS = 60_000;
const noop = () => {};

group(`re-arm a ${TIMEOUT_MS / 1000} s deadline, ${SESSIONS} sessions`, () => {
  summary(() => {
    const wheel = new TimerWheel();
    const entries: WheelEntry[] = Array.from({ length: SESSIONS }, () => ({
      deadline: 0,
      wheelTick: 0,
      onDeadline: noop,
    }));
    for (const e of entries) wheel.arm(e, TIMEOUT_MS);
    let i = 0;
    bench('TimerWheel.arm (shared, 10 ms ticks)', () => {
      const e = entries[i++ % SESSIONS] as WheelEntry;
      wheel.arm(e, TIMEOUT_MS);
      do_not_optimize(e);
    });

    const timers = Array.from({ length: SESSIONS }, () => setTimeout(noop, TIMEOUT_MS).unref());
    let j = 0;
    bench('clearTimeout + setTimeout per re-arm', () => {
      const k = j++ % SESSIONS;
      clearTimeout(timers[k]);
      timers[k] = setTimeout(noop, TIMEOUT_MS).unref();
      do_not_optimize(timers[k]);
    });

    const refreshed = Array.from({ length: SESSIONS }, () => setTimeout(noop, TIMEOUT_MS).unref());
    let r = 0;
    bench('Timeout.refresh() per re-arm', () => {
      const t = refreshed[r++ % SESSIONS] as NodeJS.Timeout;
      t.refresh();
      do_not_optimize(t);
    });
  });
});
