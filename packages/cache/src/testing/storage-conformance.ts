/**
 * The shared Storage conformance suite: a describe() block of tests that
 * take a fresh storage from `factory` per test. Covers miss on empty,
 * visibility only after finish, abort leaving nothing, body integrity over
 * many pieces, seek, replace, updateMeta, purge (200/404 semantics), purge
 * of a primary with its variants, and, when supported, readers that follow
 * a write in progress.
 */
import { ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { CacheKey } from '../key.ts';
import { CacheMeta } from '../meta.ts';
import type { HitHandler, Storage } from '../storage.ts';

export interface StorageConformanceOptions {
  /** Called after each test with the storage it used (close connections, remove files). */
  dispose?: (storage: Storage) => void | Promise<void>;
}

function meta(tag: string, now = Date.now()): CacheMeta {
  const header = ResponseHeader.build(200).appendHeader('X-Tag', tag);
  return new CacheMeta({ created: now, freshUntil: now + 60_000, header });
}

async function readAll(hit: HitHandler): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) {
    const r = hit.readBody();
    const b = r instanceof Promise ? await r : r;
    if (b === null) return Buffer.concat(parts);
    parts.push(b);
  }
  throw new Error('body did not end');
}

async function store(s: Storage, key: CacheKey, m: CacheMeta, body: Buffer[]): Promise<void> {
  const miss = await s.getMissHandler(key, m);
  for (let i = 0; i < body.length; i++) await miss.writeBody(body[i]!, i === body.length - 1);
  await miss.finish();
}

let seq = 0;
const freshKey = (what: string) => new CacheKey('conformance', `${what}-${++seq}-${Math.random()}`);

export function storageConformance(
  name: string,
  factory: () => Storage | Promise<Storage>,
  options: StorageConformanceOptions = {},
): void {
  async function withStorage(fn: (s: Storage) => Promise<void>): Promise<void> {
    const s = await factory();
    try {
      await fn(s);
    } finally {
      await options.dispose?.(s);
    }
  }

  describe(`Storage conformance: ${name}`, () => {
    it('misses on an unknown key', () =>
      withStorage(async (s) => {
        expect(await s.lookup(freshKey('none'))).toBeUndefined();
      }));

    it('stores and finds meta and body', () =>
      withStorage(async (s) => {
        const key = freshKey('basic');
        await store(s, key, meta('a'), [Buffer.from('hello '), Buffer.from('world')]);
        const found = await s.lookup(key);
        expect(found?.meta.header.getHeader('x-tag')).toBe('a');
        expect((await readAll(found!.hit)).toString()).toBe('hello world');
        found!.hit.finish();
      }));

    it('keeps a large body in many pieces intact', () =>
      withStorage(async (s) => {
        const key = freshKey('large');
        const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(4096, i));
        await store(s, key, meta('big'), pieces);
        const found = await s.lookup(key);
        expect((await readAll(found!.hit)).equals(Buffer.concat(pieces))).toBe(true);
      }));

    it('an aborted write is never visible', () =>
      withStorage(async (s) => {
        const key = freshKey('abort');
        const miss = await s.getMissHandler(key, meta('x'));
        await miss.writeBody(Buffer.from('partial'), false);
        miss.abort();
        expect(await s.lookup(key)).toBeUndefined();
      }));

    it('an unfinished write is not visible as a finished asset', () =>
      withStorage(async (s) => {
        const key = freshKey('unfinished');
        const miss = await s.getMissHandler(key, meta('x'));
        await miss.writeBody(Buffer.from('part'), false);
        const found = await s.lookup(key);
        if (!s.supportsStreamingPartialWrite) expect(found).toBeUndefined();
        else expect(found?.hit.bodyLength).toBeUndefined();
        miss.abort();
      }));

    it('a second write replaces the first', () =>
      withStorage(async (s) => {
        const key = freshKey('replace');
        await store(s, key, meta('1'), [Buffer.from('one')]);
        await store(s, key, meta('2'), [Buffer.from('two')]);
        const found = await s.lookup(key);
        expect(found?.meta.header.getHeader('x-tag')).toBe('2');
        expect((await readAll(found!.hit)).toString()).toBe('two');
      }));

    it('updateMeta changes the meta, keeps the body, and fails on a missing key', () =>
      withStorage(async (s) => {
        const key = freshKey('update');
        await store(s, key, meta('old'), [Buffer.from('body')]);
        expect(await s.updateMeta(key, meta('new'))).toBe(true);
        const found = await s.lookup(key);
        expect(found?.meta.header.getHeader('x-tag')).toBe('new');
        expect((await readAll(found!.hit)).toString()).toBe('body');
        expect(await s.updateMeta(freshKey('nothing'), meta('x'))).toBe(false);
      }));

    it('purge says whether the asset was there', () =>
      withStorage(async (s) => {
        const key = freshKey('purge');
        await store(s, key, meta('p'), [Buffer.from('x')]);
        expect(await s.purge(key.toCompact(), 'invalidation')).toBe(true);
        expect(await s.lookup(key)).toBeUndefined();
        expect(await s.purge(key.toCompact(), 'invalidation')).toBe(false);
      }));

    it('variants live beside the primary slot and purging the primary removes them', () =>
      withStorage(async (s) => {
        const primary = freshKey('vary');
        const variant = new CacheKey(primary.namespace, primary.primary);
        variant.variance = Buffer.alloc(16, 7);
        await store(s, primary, meta('primary'), [Buffer.from('p')]);
        const vm = meta('variant');
        vm.variance = variant.variance;
        await store(s, variant, vm, [Buffer.from('v')]);
        expect((await s.lookup(variant))?.meta.header.getHeader('x-tag')).toBe('variant');
        expect((await s.lookup(primary))?.meta.header.getHeader('x-tag')).toBe('primary');
        expect(await s.purge(primary.toCompact(), 'invalidation')).toBe(true);
        expect(await s.lookup(primary)).toBeUndefined();
        const left = await s.lookup(variant);
        // a storage may keep the variant (the primary's tombstone hides it) or drop it
        if (left !== undefined) expect(left.meta.created).toBeLessThanOrEqual(Date.now());
      }));

    it('seek restricts the body when supported', () =>
      withStorage(async (s) => {
        const key = freshKey('seek');
        await store(s, key, meta('s'), [Buffer.from('0123'), Buffer.from('456789')]);
        const found = await s.lookup(key);
        if (!found?.hit.canSeek()) return;
        found.hit.seek(2, 7);
        expect((await readAll(found.hit)).toString()).toBe('23456');
      }));

    it('readers that arrive mid-write follow the body as it arrives (when supported)', () =>
      withStorage(async (s) => {
        if (!s.supportsStreamingPartialWrite) return;
        const key = freshKey('stream');
        const miss = await s.getMissHandler(key, meta('w'));
        await miss.writeBody(Buffer.from('a'), false);
        const found = await s.lookup(key);
        expect(found).toBeDefined();
        const reading = readAll(found!.hit);
        const late = await s.lookup(key);
        await miss.writeBody(Buffer.from('b'), false);
        await miss.writeBody(Buffer.from('c'), true);
        await miss.finish();
        expect((await reading).toString()).toBe('abc');
        expect((await readAll(late!.hit)).toString()).toBe('abc');
      }));

    it('readers of a write that is aborted get an error, not a short body', () =>
      withStorage(async (s) => {
        if (!s.supportsStreamingPartialWrite) return;
        const key = freshKey('stream-abort');
        const miss = await s.getMissHandler(key, meta('w'));
        await miss.writeBody(Buffer.from('a'), false);
        const found = await s.lookup(key);
        const reading = readAll(found!.hit);
        miss.abort();
        await expect(reading).rejects.toThrow();
      }));
  });
}
