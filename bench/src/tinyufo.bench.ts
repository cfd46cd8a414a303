/**
 * TinyUFO micro-benchmark: reads and the read-through pattern (get; on a
 * miss, put) at 10k entries under a Zipf(1) stream over 100k keys, against a
 * Map re-inserted on every touch (the usual JavaScript LRU). Each run also
 * prints both caches' hit ratios on the same stream.
 */
import { TinyUfo } from '@pingora-ts/tinyufo';
import { bench, do_not_optimize, group, summary } from 'mitata';
import { MapLru, zipfKeys } from './cache-workload.ts';

const SIZE = 10_000;
const keys = zipfKeys(100_000);
const ufo = new TinyUfo<number, number>({ totalWeightLimit: SIZE, estimatedSize: SIZE, seed: 7 });
const peer = new MapLru<number, number>(SIZE);

// warm both on the stream, and report their hit ratios on a second pass
for (const k of keys) {
  if (ufo.get(k) === undefined) ufo.put(k, k, 1);
  if (peer.get(k) === undefined) peer.set(k, k);
}
let ufoHits = 0;
let peerHits = 0;
for (const k of keys) {
  if (ufo.get(k) === undefined) ufo.put(k, k, 1);
  else ufoHits++;
  if (peer.get(k) === undefined) peer.set(k, k);
  else peerHits++;
}
console.log(
  `tinyufo: hit ratio, 10k of 100k Zipf(1) keys: TinyUFO ${((100 * ufoHits) / keys.length).toFixed(2)}%, Map LRU ${((100 * peerHits) / keys.length).toFixed(2)}%`,
);
let i = 0;

group('tinyufo: read, 10k entries, Zipf keys', () => {
  summary(() => {
    bench('TinyUfo.get', () => do_not_optimize(ufo.get(keys[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(keys[i++ & 65535]!)));
  });
});

group('tinyufo: read-through (get, on miss put)', () => {
  summary(() => {
    bench('TinyUfo get/put', () => {
      const k = keys[i++ & 65535]!;
      if (ufo.get(k) === undefined) do_not_optimize(ufo.put(k, k, 1));
    });
    bench('Map re-insert LRU get/set', () => {
      const k = keys[i++ & 65535]!;
      if (peer.get(k) === undefined) peer.set(k, k);
    });
  });
});

group('tinyufo: put only (every put admits or is refused)', () => {
  summary(() => {
    bench('TinyUfo.put', () => {
      const k = keys[i++ & 65535]!;
      do_not_optimize(ufo.put(k, k, 1));
    });
    bench('Map re-insert LRU set', () => {
      const k = keys[i++ & 65535]!;
      peer.set(k, k);
    });
  });
});
