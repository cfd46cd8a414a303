/**
 * Ketama micro-benchmark: building a 9-node weight-100 ring (nginx's sample
 * setup, 144,000 points) and looking keys up, by string and by Buffer, with
 * a modulo hash of the same crc32 as the floor a lookup cannot beat.
 */
import { crc32 } from 'node:zlib';
import { Continuum } from '@pingora-ts/ketama';
import { bench, do_not_optimize, group, summary } from 'mitata';

const buckets = Array.from({ length: 9 }, (_, i) => ({ node: `10.0.0.${i + 1}:443`, weight: 100 }));
const ring = Continuum.build(buckets);
const nodes = buckets.map((b) => b.node);
const keys = Array.from({ length: 1024 }, (_, i) => `/${(i * 2654435761).toString(16)}/index.html`);
const bufferKeys = keys.map((k) => Buffer.from(k));
let i = 0;

group('ketama: build', () => {
  bench('Continuum.build 9 nodes x weight 100 (144k points)', () =>
    do_not_optimize(Continuum.build(buckets)),
  );
  bench('Continuum.build 3 nodes x weight 1 (480 points)', () =>
    do_not_optimize(Continuum.build(buckets.slice(0, 3).map((b) => ({ ...b, weight: 1 })))),
  );
});

group('ketama: lookup one key', () => {
  summary(() => {
    bench('Continuum.node(string)', () => do_not_optimize(ring.node(keys[i++ & 1023]!)));
    bench('Continuum.node(Buffer)', () => do_not_optimize(ring.node(bufferKeys[i++ & 1023]!)));
    bench('Continuum.nodeIter(string) first 2', () => {
      const it = ring.nodeIter(keys[i++ & 1023]!);
      do_not_optimize(it.next().value);
      do_not_optimize(it.next().value);
    });
    bench('floor: crc32(key) % n (not consistent)', () =>
      do_not_optimize(nodes[crc32(keys[i++ & 1023]!) % nodes.length]),
    );
  });
});
