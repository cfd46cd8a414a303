import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBackends } from '../src/backend.ts';
import { Backend, FnvHash, LoadBalancer } from '../src/index.ts';
import { Fnv64, mod64 } from '../src/selection/fnv64.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';
import { countFirstPicks, expectWeightedShares } from './utils/shares.ts';

selectionConformance('FnvHash', FnvHash, { deterministicPerKey: true });

function fnvReference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

function asBigInt(h: Fnv64): bigint {
  return (BigInt(h.hi) << 32n) | BigInt(h.lo);
}

describe('Fnv64', () => {
  it('matches the published FNV-1a 64 vectors', () => {
    expect(asBigInt(new Fnv64().utf8(''))).toBe(0xcbf29ce484222325n);
    expect(asBigInt(new Fnv64().utf8('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(asBigInt(new Fnv64().utf8('foobar'))).toBe(0x85944171f73967e8n);
  });

  it('equals a BigInt reference on any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(asBigInt(new Fnv64().bytes(bytes))).toBe(fnvReference(bytes));
      }),
    );
  });

  it('hashes a string as its UTF-8 bytes, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 32 }), (text) => {
        expect(asBigInt(new Fnv64().utf8(text))).toBe(
          asBigInt(new Fnv64().bytes(Buffer.from(text))),
        );
      }),
    );
  });

  it('u64le hashes the 8 little-endian bytes of a value', () => {
    fc.assert(
      fc.property(fc.bigUint64Array({ minLength: 1, maxLength: 1 }), ([v]) => {
        const bytes = Buffer.alloc(8);
        bytes.writeBigUInt64LE(v!);
        const h = new Fnv64().u64le(Number(v! >> 32n), Number(v! & 0xffffffffn));
        expect(asBigInt(h)).toBe(fnvReference(bytes));
      }),
    );
  });

  it('mod64 is exact for divisors up to 2^37 (property)', () => {
    fc.assert(
      fc.property(
        fc.bigUint64Array({ minLength: 1, maxLength: 1 }),
        fc.integer({ min: 1, max: 2 ** 37 - 1 }),
        ([v], n) => {
          expect(mod64(Number(v! >> 32n), Number(v! & 0xffffffffn), n)).toBe(
            Number(v! % BigInt(n)),
          );
        },
      ),
    );
  });
});

describe('FnvHash', () => {
  const b1 = new Backend('1.1.1.1:80');
  const b2 = new Backend('1.0.0.1:80', { weight: 10 });
  const b3 = new Backend('1.0.0.255:80');
  const set = [b1, b2, b3].sort(compareBackends);

  it('picks what Pingora picks (selection/weighted.rs test_fnv)', () => {
    const hash = FnvHash.build(set);
    const iter = hash.iter('test');
    const seq = Array.from({ length: 11 }, () => iter.next());
    expect(seq).toEqual([b2, b2, b2, b1, b3, b2, b2, b1, b2, b3, b1]);
    const firsts = ['test1', 'test2', 'test3', 'test4', 'test5', 'test6', 'test7'].map((k) =>
      hash.iter(k).next(),
    );
    expect(firsts).toEqual([b2, b2, b3, b1, b2, b2, b2]);
    // Bytes and strings of the same UTF-8 hash alike.
    expect(hash.iter(Buffer.from('test3')).next()).toBe(b3);
  });

  it('is stable across restarts: another process picks the same backends', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}-\u00e9`);
    const addrs = backendSet(17, (i) => 1 + (i % 4)).map((b) => ({
      addr: b.addr,
      weight: b.weight,
    }));
    const here = LoadBalancer.fromAddrs(addrs, FnvHash);
    const mine = keys.map((k) => here.select(k)!.addr);
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `
      const { FnvHash, LoadBalancer } = await import(${JSON.stringify(src)});
      const lb = LoadBalancer.fromAddrs(${JSON.stringify(addrs)}, FnvHash);
      const keys = ${JSON.stringify(keys)};
      process.stdout.write(JSON.stringify(keys.map((k) => lb.select(k).addr)));
    `;
    const out = execFileSync(
      process.execPath,
      ['--conditions=@pingora-ts/source', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(JSON.parse(out)).toEqual(mine);
  });

  it('spreads distinct keys by weight within 2 points over 100k keys', () => {
    const weighted = backendSet(5, (i) => [1, 2, 3, 5, 9][i]!);
    const picks = 100_000;
    expectWeightedShares(
      weighted,
      countFirstPicks(FnvHash.build(weighted), picks, (i) => `key-${i}`),
      picks,
    );
  });

  it('serves large total weights through the cumulative table', () => {
    const heavy = backendSet(40, () => 60_000); // 2.4M slots, above the flat table limit
    const hash = FnvHash.build(heavy);
    expect(hash.table.total).toBe(2_400_000);
    const picks = 100_000;
    expectWeightedShares(
      heavy,
      countFirstPicks(hash, picks, (i) => `k${i}`),
      picks,
    );
  });
});
