import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bucket, Continuum, splitHostPort } from '../src/index.ts';

const FIXTURE = new URL('./fixtures/sample-nginx-upstream.csv', import.meta.url);

function nginxSample(): Array<[string, string]> {
  return readFileSync(FIXTURE, 'latin1')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const comma = line.lastIndexOf(',');
      return [line.slice(0, comma), line.slice(comma + 1)];
    });
}

function equalBuckets(count: number, weight = 1, host = (i: number) => `10.1.0.${i}:80`) {
  return Array.from({ length: count }, (_, i) => ({ node: host(i + 1), weight }));
}

/** Deterministic keys: no randomness, so share assertions cannot flake. */
const KEYS = Array.from({ length: 20_000 }, (_, i) => `/object/${i}/${(i * 2654435761) >>> 0}`);

describe('nginx compatibility', () => {
  it('agrees with nginx on every key of the sample data set', () => {
    const sample = nginxSample();
    expect(sample.length).toBeGreaterThanOrEqual(1000);
    const c = Continuum.build(equalBuckets(9, 100, (i) => `10.0.0.${i}:443`));
    const wrong = sample.filter(([uri, upstream]) => c.node(uri) !== upstream);
    expect(wrong).toEqual([]);
    // Buffer keys hash the same bytes
    for (const [uri, upstream] of sample.slice(0, 50)) {
      expect(c.node(Buffer.from(uri, 'latin1'))).toBe(upstream);
    }
  });

  it('matches Pingora and nginx on the hand-checked two-server sample', () => {
    const c = Continuum.build([
      { node: '127.0.0.1:7777', weight: 1 },
      { node: '127.0.0.1:7778', weight: 1 },
    ]);
    expect(c.node('/some/path')).toBe('127.0.0.1:7778');
    expect(c.node('/some/longer/path')).toBe('127.0.0.1:7777');
    expect(c.node('/sad/zaidoon')).toBe('127.0.0.1:7778');
    expect(c.node('/g')).toBe('127.0.0.1:7777');
    expect(c.node('/pingora/team/is/cool/and/this/is/a/long/uri')).toBe('127.0.0.1:7778');
    expect(c.node('/i/am/not/confident/in/this/code')).toBe('127.0.0.1:7777');
  });

  it('keeps keys in place when a host is added (Pingora consistency_after_adding_host)', () => {
    for (const count of [10, 11]) {
      const c = Continuum.build(equalBuckets(count, 1, (i) => `127.0.0.${i}:6443`));
      expect(c.node('a')).toBe('127.0.0.10:6443');
      expect(c.node('b')).toBe('127.0.0.5:6443');
    }
  });

  it('splits addresses like nginx', () => {
    expect(splitHostPort('10.0.0.1:443')).toEqual(['10.0.0.1', '443']);
    expect(splitHostPort('[::1]:8080')).toEqual(['[::1]', '8080']);
    expect(splitHostPort('backend.local')).toEqual(['backend.local', '']);
    expect(splitHostPort('unix:/run/app.sock')).toEqual(['/run/app.sock', '']);
    expect(splitHostPort('host:abc')).toEqual(['host:abc', '']);
  });
});

describe('Continuum', () => {
  it('puts weight x 160 points on the ring', () => {
    const c = Continuum.build([
      { node: 'a:1', weight: 1 },
      { node: 'b:1', weight: 3 },
    ]);
    // a collision between two crc32s is possible but not for these inputs
    expect(c.pointCount).toBe(640);
    expect(c.nodes).toEqual(['a:1', 'b:1']);
  });

  it('returns undefined and yields nothing when empty', () => {
    const c = Continuum.build([]);
    expect(c.node('x')).toBeUndefined();
    expect(c.nodeIndex('x')).toBeUndefined();
    expect([...c.nodeIter('x')]).toEqual([]);
  });

  it('nodeIndex points at the bucket given to build', () => {
    const buckets = equalBuckets(5);
    const c = Continuum.build(buckets);
    for (const key of KEYS.slice(0, 500)) {
      expect(buckets[c.nodeIndex(key)!]!.node).toBe(c.node(key));
    }
  });

  it('nodeIter yields the primary, then every other node once', () => {
    const buckets = equalBuckets(6);
    const c = Continuum.build(buckets);
    for (const key of KEYS.slice(0, 200)) {
      const order = [...c.nodeIter(key)];
      expect(order[0]).toBe(c.node(key));
      expect(new Set(order).size).toBe(6);
      expect(order.length).toBe(6);
      expect([...c.nodeIndexIter(key)].map((i) => buckets[i]!.node)).toEqual(order);
    }
    const single = Continuum.build([{ node: 'only:1', weight: 2 }]);
    expect([...single.nodeIter('k')]).toEqual(['only:1']);
  });

  it('failover order is where keys go when their node is removed', () => {
    const buckets = equalBuckets(8);
    const full = Continuum.build(buckets);
    const without3 = Continuum.build(buckets.filter((_, i) => i !== 3));
    for (const key of KEYS.slice(0, 2000)) {
      const order = [...full.nodeIter(key)].filter((n) => n !== buckets[3]!.node);
      expect(without3.node(key)).toBe(order[0]);
    }
  });

  it('treats a node named twice as one node', () => {
    const c = Continuum.build([
      { node: 'a:1', weight: 1 },
      { node: 'b:1', weight: 1 },
      { node: 'a:1', weight: 1 },
    ]);
    expect(c.nodes).toEqual(['a:1', 'b:1']);
    expect(c.pointCount).toBe(320);
    for (const key of KEYS.slice(0, 200)) expect([0, 1]).toContain(c.nodeIndex(key));
    expect([...c.nodeIter('k')].sort()).toEqual(['a:1', 'b:1']);
  });

  it.each([
    ['weight 0', [{ node: 'a:1', weight: 0 }], RangeError],
    ['fractional weight', [{ node: 'a:1', weight: 1.5 }], RangeError],
    ['huge weight', [{ node: 'a:1', weight: 1e9 }], RangeError],
    ['empty node', [{ node: '', weight: 1 }], TypeError],
    ['non-string node', [{ node: 42, weight: 1 }], TypeError],
    ['null bucket', [null], TypeError],
  ])('rejects %s', (_what, buckets, type) => {
    expect(() => Continuum.build(buckets as unknown as Bucket[])).toThrow(type);
  });
});

describe('keys and addresses', () => {
  it('hashes a string key as its UTF-8 bytes, like zlib crc32', () => {
    const c = Continuum.build(equalBuckets(7));
    for (const key of ['/caf\u00e9', '/\u{1f600}/x', '/\u4e2d\u6587', 'plain']) {
      expect(c.node(key)).toBe(c.node(Buffer.from(key, 'utf8')));
      expect(Continuum.hashKey(key)).toBe(crc32(key));
    }
  });

  it('builds rings of IPv6, unix and name addresses, stable across builds', () => {
    const buckets = [
      { node: '[2001:db8::1]:443', weight: 1 },
      { node: '[2001:db8::2]:443', weight: 2 },
      { node: 'unix:/run/backend.sock', weight: 1 },
      { node: 'backend.internal:8080', weight: 1 },
    ];
    const a = Continuum.build(buckets);
    const b = Continuum.build(buckets.map((x) => ({ ...x })));
    expect(a.pointCount).toBe(800);
    for (const key of KEYS.slice(0, 500)) expect(a.node(key)).toBe(b.node(key));
    expect(new Set(KEYS.slice(0, 2000).map((k) => a.node(k))).size).toBe(4);
  });

  it('nodeIter reaches every node in any ring', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }),
        fc.string(),
        (weights, key) => {
          const c = Continuum.build(
            weights.map((weight, i) => ({ node: `10.3.0.${i}:80`, weight })),
          );
          const order = [...c.nodeIter(key)];
          expect(order.length).toBe(weights.length);
          expect(new Set(order).size).toBe(weights.length);
          expect(order[0]).toBe(c.node(key));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('distribution', () => {
  function shares(c: Continuum, nodes: readonly string[]): number[] {
    const counts = new Map<string, number>();
    for (const k of KEYS) counts.set(c.node(k)!, (counts.get(c.node(k)!) ?? 0) + 1);
    return nodes.map((n) => (counts.get(n) ?? 0) / KEYS.length);
  }

  it('gives weights proportional shares', () => {
    const buckets = [
      { node: '10.2.0.1:80', weight: 1 },
      { node: '10.2.0.2:80', weight: 1 },
      { node: '10.2.0.3:80', weight: 2 },
      { node: '10.2.0.4:80', weight: 4 },
    ];
    const got = shares(
      Continuum.build(buckets),
      buckets.map((b) => b.node),
    );
    const want = [1 / 8, 1 / 8, 2 / 8, 4 / 8];
    got.forEach((share, i) => {
      expect(Math.abs(share - want[i]!), `node ${i}: ${share} vs ${want[i]}`).toBeLessThan(0.06);
    });
  });

  it('adding or removing one of n nodes moves about 1/n of the keys, only to or from it', () => {
    const keys = KEYS.slice(0, 4000);
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 24 }),
        fc.nat(),
        fc.integer({ min: 0, max: 250 }),
        (n, pick, subnet) => {
          const buckets = equalBuckets(n, 1, (i) => `10.${subnet}.${i}.7:8080`);
          const full = Continuum.build(buckets);
          const removed = buckets[pick % n]!.node;
          const less = Continuum.build(buckets.filter((b) => b.node !== removed));
          let moved = 0;
          for (const k of keys) {
            const before = full.node(k);
            const after = less.node(k);
            if (before !== after) {
              moved++;
              // consistency: only keys of the removed node move (seen the other way, adding
              // `removed` to `less` only takes keys onto it)
              expect(before).toBe(removed);
            }
          }
          const fraction = moved / keys.length;
          // 160 points per node keep a node's share within a few tens of percent of 1/n
          expect(fraction).toBeLessThan(1.6 / n + 0.02);
          expect(fraction).toBeGreaterThan(0.4 / n);
        },
      ),
      { numRuns: 40, seed: 0x5eed },
    );
  });
});
