import { hash } from 'node:crypto';
import { ResponseHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheKey, CacheMeta, decodeMeta, encodeMeta, VarianceBuilder } from '../src/index.ts';
import { primaryHashMemoSize } from '../src/key.ts';

describe('CacheKey', () => {
  it('hashes namespace and primary into 16 bytes with a hex form', () => {
    const k = new CacheKey('ns', 'example.com/a');
    expect(k.primaryBinary().length).toBe(16);
    expect(k.primaryHex()).toMatch(/^[0-9a-f]{32}$/);
    expect(new CacheKey('ns', 'example.com/a').primaryHex()).toBe(k.primaryHex());
    expect(new CacheKey('nse', 'xample.com/a').primaryHex()).not.toBe(k.primaryHex());
    expect(new CacheKey('', 'example.com/a', 'tag').primaryHex()).not.toBe(k.primaryHex());
  });

  it('property: the memoised primary hash is BLAKE2b-512 of the length-prefixed parts, truncated', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (ns, primary) => {
        const text = `${ns.length}:${ns}${primary.length}:${primary}`;
        const want = (hash('blake2b512', text, 'buffer') as Buffer).subarray(0, 16);
        // twice: the second answer comes from the memo
        for (let i = 0; i < 2; i++) {
          const k = new CacheKey(ns, primary);
          expect(k.primaryBinary().equals(want)).toBe(true);
          expect(k.primaryHex()).toBe(want.toString('hex'));
        }
      }),
    );
  });

  it('property: a default key (host, target) hashes as the key of host + target, memoised apart', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (host, target) => {
        const plain = new CacheKey('', `${host}${target}`);
        for (let i = 0; i < 2; i++) {
          const k = CacheKey.default(host, target);
          expect(k.primaryHex()).toBe(plain.primaryHex());
          expect(k.primaryBinary().equals(plain.primaryBinary())).toBe(true);
          expect(k.primary).toBe(`${host}${target}`);
          expect(k.withoutVariance().primaryHex()).toBe(plain.primaryHex());
          expect(k.toCompact()).toEqual(plain.toCompact());
        }
      }),
    );
  });

  it('the primary-hash memo stays bounded whatever keys it is fed', () => {
    for (let i = 0; i < 20_000; i++) new CacheKey('', `h/${i}`).primaryHex();
    for (let i = 0; i < 20_000; i++) CacheKey.default(`h${i % 7}`, `/${i}`).primaryHex();
    for (let i = 0; i < 40; i++) CacheKey.default(`${i}`, '/'.padEnd(100_000, 'x')).primaryHex();
    for (let i = 0; i < 40; i++) new CacheKey('', `${i}`.padEnd(100_000, 'x')).primaryHex();
    // a key longer than a whole generation is hashed but never kept
    new CacheKey('', 'y'.repeat(2_000_000)).primaryHex();
    const { entries, chars } = primaryHashMemoSize();
    expect(entries).toBeLessThanOrEqual(2 * 8192);
    expect(chars).toBeLessThanOrEqual(2 * (1 << 20));
  });

  it('combines the variance into a different key', () => {
    const k = CacheKey.default('h', '/x');
    const primary = k.combinedHex();
    k.variance = new VarianceBuilder().add('accept-encoding', 'gzip').finalize();
    expect(k.combinedHex()).not.toBe(primary);
    expect(k.primaryHex()).toBe(primary);
    expect(k.toCompact().combined).not.toBe(k.toCompact().primary);
  });

  it('variance is order-insensitive and empty means none', () => {
    const a = new VarianceBuilder().add('A', '1').add('b', '2').finalize();
    const b = new VarianceBuilder().add('b', '2').add('a', '1').finalize();
    expect(a?.equals(b!)).toBe(true);
    expect(new VarianceBuilder().finalize()).toBeUndefined();
  });
});

describe('CacheMeta codec', () => {
  const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
  const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);

  it('property: encode then decode gives the same meta', () => {
    fc.assert(
      fc.property(
        fc.record({
          created: fc.integer({ min: 0, max: 2 ** 45 }),
          updated: fc.integer({ min: 0, max: 2 ** 45 }),
          freshUntil: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
          swr: fc.nat({ max: 2 ** 31 }),
          sie: fc.nat({ max: 2 ** 31 }),
          age: fc.nat({ max: 100000 }),
          status: fc.integer({ min: 200, max: 599 }),
          headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 10 }),
          variance: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }),
          ext: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })),
        }),
        (r) => {
          const header = ResponseHeader.build(r.status);
          for (const [n, v] of r.headers) header.appendHeader(n, v);
          const meta = new CacheMeta({
            created: r.created,
            updated: r.updated,
            freshUntil: r.freshUntil,
            staleWhileRevalidateSec: r.swr,
            staleIfErrorSec: r.sie,
            initialAgeSec: r.age,
            header,
            variance: r.variance === undefined ? undefined : Buffer.from(r.variance),
            extensions: new Map(Object.entries(r.ext)),
          });
          const back = decodeMeta(encodeMeta(meta));
          expect(back.created).toBe(meta.created);
          expect(back.updated).toBe(meta.updated);
          expect(back.freshUntil).toBe(meta.freshUntil);
          expect(back.staleWhileRevalidateSec).toBe(r.swr);
          expect(back.staleIfErrorSec).toBe(r.sie);
          expect(back.initialAgeSec).toBe(r.age);
          expect(back.header.toWire().equals(header.toWire())).toBe(true);
          expect(back.variance).toEqual(meta.variance);
          expect(back.extensions).toEqual(meta.extensions);
        },
      ),
    );
  });

  it('rejects truncated, corrupted or trailing bytes with a PingoraError', () => {
    const meta = new CacheMeta({
      created: 1,
      freshUntil: 2,
      header: ResponseHeader.build(200).appendHeader('A', 'b'),
    });
    const bytes = encodeMeta(meta);
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeMeta(bytes.subarray(0, cut))).toThrow(/invalid serialized cache meta/);
    }
    expect(() => decodeMeta(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
    const bad = Buffer.from(bytes);
    bad[0] = 0;
    expect(() => decodeMeta(bad)).toThrow(/magic/);
  });

  it('windows and age', () => {
    const m = new CacheMeta({
      created: 0,
      freshUntil: 10_000,
      staleWhileRevalidateSec: 5,
      staleIfErrorSec: 20,
      initialAgeSec: 3,
      header: ResponseHeader.build(200),
    });
    expect(m.isFresh(9_999)).toBe(true);
    expect(m.isFresh(10_000)).toBe(false);
    expect(m.serveStaleWhileRevalidate(14_999)).toBe(true);
    expect(m.serveStaleWhileRevalidate(15_000)).toBe(false);
    expect(m.serveStaleIfError(29_999)).toBe(true);
    expect(m.ageSec(7_500)).toBe(10);
  });
});
