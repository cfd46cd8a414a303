/**
 * Load-balancing micro-benchmark: LoadBalancer.select() per algorithm at 3,
 * 100 and 10,000 healthy backends (the per-request cost: candidate iterator,
 * readiness test), the same with a third of 100 backends disabled (picks
 * that need fallbacks), and the guard acquire/release that least-connections
 * and power of two need.
 */
import {
  type BackendSelectionBuilder,
  FnvHash,
  Ketama,
  LeastConnections,
  LoadBalancer,
  PowerOfTwoChoices,
  Random,
  RoundRobin,
  WeightedRoundRobin,
} from '@pingora-ts/load-balancing';
import { bench, do_not_optimize, group, summary } from 'mitata';

const algorithms: Array<[string, BackendSelectionBuilder]> = [
  ['RoundRobin', RoundRobin],
  ['WeightedRoundRobin', WeightedRoundRobin],
  ['Random', Random],
  ['FnvHash', FnvHash],
  ['Ketama', Ketama],
  ['LeastConnections', LeastConnections],
  ['PowerOfTwoChoices', PowerOfTwoChoices],
];

function addrs(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    addr: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}:8080`,
    weight: 1 + (i % 3),
  }));
}

const keys = Array.from({ length: 1024 }, (_, i) => `/${(i * 2654435761).toString(16)}/index.html`);
let k = 0;

for (const n of [3, 100, 10_000]) {
  group(`select(), ${n} backends`, () => {
    summary(() => {
      for (const [name, builder] of algorithms) {
        const lb = LoadBalancer.fromAddrs(addrs(n), builder);
        bench(name, () => do_not_optimize(lb.select(keys[k++ & 1023]!)));
      }
    });
  });
}

group('select(), 100 backends, a third of them disabled (fallback path)', () => {
  summary(() => {
    for (const [name, builder] of algorithms) {
      const lb = LoadBalancer.fromAddrs(addrs(100), builder);
      // Disable a third of the backends so many picks need a fallback.
      for (const [i, b] of lb.backends().get().entries())
        if (i % 3 === 0) lb.backends().setEnable(b, false);
      bench(name, () => do_not_optimize(lb.select(keys[k++ & 1023]!)));
    }
  });
});

group('in-flight guard', () => {
  const lb = LoadBalancer.fromAddrs(addrs(100), LeastConnections);
  bench('select + acquire + release (LeastConnections, 100)', () => {
    const b = lb.select('')!;
    lb.acquire(b).release();
  });
});
