/**
 * LRU micro-benchmark: @pingora-ts/lru (16 shards, typed-array lists) against
 * the usual JavaScript LRU, a Map re-inserted on every touch, at 10k entries
 * under a Zipf(1) stream over 100k keys: promote-on-read, and admit with
 * eviction to the limit (the read-through pattern's miss path). A uniform
 * stream over 12k keys is measured too: V8's Map slows down a lot when the
 * same hot keys are deleted and re-set over and over (the Zipf case), much
 * less when touches are spread out, and the peer deserves both.
 */
import { Lru } from '@pingora-ts/lru';
import { bench, do_not_optimize, group, summary } from 'mitata';
import { MapLru, zipfKeys } from './cache-workload.ts';

const SIZE = 10_000;
const keys = zipfKeys(100_000);
const lru = new Lru<number>({ shards: 16, weightLimit: SIZE, capacity: SIZE / 16 });
const peer = new MapLru<number, number>(SIZE);
for (let k = 0; k < SIZE; k++) {
  lru.admit(k, k, 1);
  peer.set(k, k);
}
let u = 0x1234567;
const uniform = Uint32Array.from({ length: 65_536 }, () => {
  u ^= u << 13;
  u ^= u >>> 17;
  u ^= u << 5;
  return (u >>> 0) % 12_000;
});
let i = 0;

group('lru: read (promote on hit), 10k entries, Zipf keys', () => {
  summary(() => {
    bench('Lru.get (16 shards)', () => do_not_optimize(lru.get(keys[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(keys[i++ & 65535]!)));
  });
});

group('lru: read (promote on hit), 10k entries, uniform keys', () => {
  summary(() => {
    bench('Lru.get (16 shards)', () => do_not_optimize(lru.get(uniform[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(uniform[i++ & 65535]!)));
  });
});

group('lru: read-through (get, on miss admit + evict to limit)', () => {
  summary(() => {
    bench('Lru get/admit/evictToLimit', () => {
      const k = keys[i++ & 65535]!;
      if (lru.get(k) === undefined) {
        lru.admit(k, k, 1);
        do_not_optimize(lru.evictToLimit());
      }
    });
    bench('Map re-insert LRU get/set', () => {
      const k = keys[i++ & 65535]!;
      if (peer.get(k) === undefined) peer.set(k, k);
    });
  });
});
