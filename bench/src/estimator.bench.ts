/**
 * Count-min sketch micro-benchmark: Estimator updates and reads per second
 * (Pingora's default Rate shape, 4 x 1024), Rate.observe, an Inflight
 * guard's round trip, and an exact Map counter as the peer.
 */
import { Estimator, Inflight, Rate } from '@pingora-ts/limits';
import { bench, do_not_optimize, group, summary } from 'mitata';

const keys = Array.from({ length: 4096 }, (_, i) => `198.51.${(i >> 8) & 255}.${i & 255}`);
const bufferKeys = keys.map((k) => Buffer.from(k));
const estimator = new Estimator(4, 1024);
const rate = new Rate(1000);
const inflight = new Inflight();
const exact = new Map<string, number>();
let i = 0;

group('limits: count one event', () => {
  summary(() => {
    bench('Estimator.incr(string) 4x1024', () =>
      do_not_optimize(estimator.incr(keys[i++ & 4095]!, 1)),
    );
    bench('Estimator.incr(Buffer) 4x1024', () =>
      do_not_optimize(estimator.incr(bufferKeys[i++ & 4095]!, 1)),
    );
    bench('Rate.observe(string)', () => do_not_optimize(rate.observe(keys[i++ & 4095]!, 1)));
    bench('exact Map<string, number> counter', () => {
      const k = keys[i++ & 4095]!;
      const v = (exact.get(k) ?? 0) + 1;
      exact.set(k, v);
      do_not_optimize(v);
    });
  });
});

group('limits: read', () => {
  bench('Estimator.get(string)', () => do_not_optimize(estimator.get(keys[i++ & 4095]!)));
  bench('Rate.rate(string)', () => do_not_optimize(rate.rate(keys[i++ & 4095]!)));
});

group('limits: inflight', () => {
  bench('Inflight.incr + release', () => {
    const g = inflight.incr(keys[i++ & 4095]!);
    do_not_optimize(g.count);
    g.release();
  });
});
