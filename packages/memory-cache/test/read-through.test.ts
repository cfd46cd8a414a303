import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { type LookupResult, RTCache, type RTCacheOptions } from '../src/index.ts';
import { deferred, settle } from './utils/deferred.ts';

type Options = Partial<RTCacheOptions<string, string, string>>;

/** An RTCache on a test clock whose lookups are recorded and answered by `answer`. */
function setup(
  answer: (key: string, call: number, signal: AbortSignal) => Promise<LookupResult<string>>,
  options: Options = {},
) {
  const clock = { now: 0 };
  const calls: Array<{ key: string; extra: string | undefined }> = [];
  const cache = new RTCache<string, string, string>({
    size: 100,
    clock: () => clock.now,
    seed: 1,
    lookup: (key, extra, signal) => {
      calls.push({ key, extra });
      return answer(key, calls.length, signal);
    },
    ...options,
  });
  return { cache, clock, calls };
}

async function rejection(p: Promise<unknown>): Promise<PingoraError> {
  try {
    await p;
  } catch (err) {
    expect(PingoraError.is(err)).toBe(true);
    return err as PingoraError;
  }
  throw new RangeError('expected a rejection');
}

describe('RTCache', () => {
  it('looks up on a miss, caches, then hits', async () => {
    const { cache, calls } = setup(async (key) => ({ value: `v:${key}` }));
    expect(await cache.get('a', { extra: 'x' })).toEqual({ status: 'miss', value: 'v:a' });
    expect(await cache.get('a')).toEqual({ status: 'hit', value: 'v:a' });
    expect(calls).toEqual([{ key: 'a', extra: 'x' }]);
  });

  it("caches with the lookup's TTL, else the caller's, and looks up again once expired", async () => {
    const { cache, clock, calls } = setup(async (key, call) =>
      key === 'own' ? { value: `own${call}`, ttlMs: 100 } : { value: `def${call}` },
    );
    await cache.get('own', { ttlMs: 5000 });
    await cache.get('def', { ttlMs: 500 });
    clock.now = 100;
    expect(await cache.get('own')).toEqual({ status: 'expired', value: 'own3' });
    expect(await cache.get('def')).toEqual({ status: 'hit', value: 'def2' });
    clock.now = 500;
    expect(await cache.get('def')).toEqual({ status: 'expired', value: 'def4' });
    expect(calls).toHaveLength(4);
  });

  it('coalesces concurrent misses of one key into one lookup', async () => {
    const gate = deferred<LookupResult<string>>();
    const { cache, calls } = setup(() => gate.promise);
    const reads = Array.from({ length: 10 }, () => cache.get('k'));
    const other = cache.get('other'); // another key is not held up
    await settle();
    expect(calls.map((c) => c.key)).toEqual(['k', 'other']);
    expect(cache.lookupsInFlight).toBe(2);
    gate.resolve({ value: 'V' });
    const results = await Promise.all(reads);
    expect(results[0]).toEqual({ status: 'miss', value: 'V' });
    for (const r of results.slice(1)) expect(r).toEqual({ status: 'lock_hit', value: 'V' });
    await other;
    expect(calls).toHaveLength(2);
    expect(cache.lookupsInFlight).toBe(0);
  });

  it('fails the looking-up caller with a PingoraError; waiters then look up themselves', async () => {
    const gate = deferred<LookupResult<string>>();
    const cause = new RangeError('db down');
    const { cache, calls } = setup((_key, call) =>
      call === 1 ? gate.promise : Promise.resolve({ value: `retry${call}` }),
    );
    const first = cache.get('k');
    const second = cache.get('k');
    await settle();
    gate.reject(cause);
    const err = await rejection(first);
    expect(err.type).toBe(ErrorType.UnknownError);
    expect(err.cause).toBe(cause);
    expect(err.message).toMatch(/RTCache: lookup error/);
    expect(await second).toEqual({ status: 'miss', value: 'retry2' });
    expect(await cache.get('k')).toEqual({ status: 'hit', value: 'retry2' });
    expect(calls).toHaveLength(2);
    expect(cache.lookupsInFlight).toBe(0);
  });

  it("keeps the kind and source of a lookup's PingoraError", async () => {
    const cause = PingoraError.explain(ErrorType.ConnectRefused, 'resolver').asUpstream();
    const { cache } = setup(() => Promise.reject(cause));
    const err = await rejection(cache.get('k'));
    expect([err.type, err.source, err.cause]).toEqual([
      ErrorType.ConnectRefused,
      ErrorSource.Upstream,
      cause,
    ]);
  });

  it('a waiter gives up after lockTimeoutMs and looks up alone, without caching', async () => {
    const gate = deferred<LookupResult<string>>();
    const { cache, calls } = setup(
      (_key, call) => (call === 1 ? gate.promise : Promise.resolve({ value: 'alone' })),
      { lockTimeoutMs: 20 },
    );
    const holder = cache.get('k');
    expect(await cache.get('k')).toEqual({ status: 'miss', value: 'alone' });
    expect(cache.cache.get('k').status).toBe('miss');
    gate.resolve({ value: 'holder' });
    expect(await holder).toEqual({ status: 'miss', value: 'holder' });
    expect(await cache.get('k')).toEqual({ status: 'hit', value: 'holder' });
    expect(calls).toHaveLength(2);
  });

  it('ignores a lock older than lockAgeMs', async () => {
    const gate = deferred<LookupResult<string>>();
    const { cache, clock } = setup(
      (_key, call) => (call === 1 ? gate.promise : Promise.resolve({ value: 'bypass' })),
      { lockAgeMs: 1000 },
    );
    const holder = cache.get('k');
    clock.now = 1001;
    expect(await cache.get('k')).toEqual({ status: 'miss', value: 'bypass' });
    expect(cache.cache.get('k').status).toBe('miss'); // the bypass did not write
    gate.resolve({ value: 'holder' });
    await holder;
    expect(cache.cache.get('k')).toEqual({ status: 'hit', value: 'holder' });
  });

  it('cuts a lookup off after lookupTimeoutMs, aborting its signal and releasing the lock', async () => {
    let aborted: unknown;
    const { cache } = setup(
      (_key, _call, signal) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(new RangeError('aborted'));
          });
        }),
      { lookupTimeoutMs: 30 },
    );
    const holder = rejection(cache.get('k'));
    const waiter = rejection(cache.get('k'));
    const first = await holder;
    expect(first.type).toBe(ErrorType.ReadTimedout);
    expect(aborted).toBe(first);
    // the waiter was woken when the holder gave up, tried on its own and timed out the same way
    const second = await waiter;
    expect(second.type).toBe(ErrorType.ReadTimedout);
    expect(aborted).toBe(second);
    expect(cache.lookupsInFlight).toBe(0);
  });

  it('refuses a lookup answer without a value', async () => {
    const { cache } = setup(async () => 'bare' as unknown as LookupResult<string>);
    expect((await rejection(cache.get('k'))).type).toBe(ErrorType.InternalError);
  });

  it('getStale serves values expired within the grace period, else looks up', async () => {
    const { cache, clock, calls } = setup(async (_k, call) => ({ value: `v${call}`, ttlMs: 100 }));
    await cache.get('k');
    clock.now = 150;
    expect(await cache.getStale('k', 100)).toEqual({ status: 'stale', value: 'v1', staleMs: 50 });
    clock.now = 201;
    expect(await cache.getStale('k', 100)).toEqual({ status: 'expired', value: 'v2' });
    expect(await cache.getStale('k', 100)).toEqual({ status: 'hit', value: 'v2' });
    expect(calls).toHaveLength(2);
  });

  it('getStaleWhileUpdate serves stale and refreshes in the background', async () => {
    const errors: Array<[PingoraError, string]> = [];
    const { cache, clock, calls } = setup(
      async (_k, call) => {
        if (call === 3) throw new RangeError('refresh failed');
        return { value: `v${call}`, ttlMs: 100 };
      },
      { onRefreshError: (e, k) => errors.push([e, k]) },
    );
    await cache.get('k');
    clock.now = 120;
    expect(await cache.getStaleWhileUpdate('k', 1000)).toEqual({
      status: 'stale',
      value: 'v1',
      staleMs: 20,
    });
    await settle();
    expect(await cache.get('k')).toEqual({ status: 'hit', value: 'v2' });
    clock.now = 300;
    expect((await cache.getStaleWhileUpdate('k', 1000)).value).toBe('v2');
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe('k');
    expect(errors[0]![0].cause).toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(3);
  });

  it('multiGet looks up all misses in one call and keeps key order', async () => {
    const batches: string[][] = [];
    const { cache } = setup(async (key) => ({ value: `one:${key}` }), {
      multiLookup: async (keys) => {
        batches.push(keys);
        return keys.map((k) => ({ value: `many:${k}` }));
      },
    });
    await cache.get('b');
    expect(await cache.multiGet(['a', 'b', 'c'])).toEqual([
      { status: 'miss', value: 'many:a' },
      { status: 'hit', value: 'one:b' },
      { status: 'miss', value: 'many:c' },
    ]);
    expect(batches).toEqual([['a', 'c']]);
    expect((await cache.multiGet(['a', 'c'])).map((r) => r.status)).toEqual(['hit', 'hit']);
    expect(batches).toHaveLength(1);
  });

  it('multiGet refuses a wrong number of answers, and needs multiLookup', async () => {
    const { cache } = setup(async () => ({ value: 'x' }), {
      multiLookup: async () => [{ value: 'only one' }],
    });
    const err = await rejection(cache.multiGet(['a', 'b']));
    expect(err.type).toBe(ErrorType.InternalError);
    const { cache: plain } = setup(async () => ({ value: 'x' }));
    expect((await rejection(plain.multiGet(['a']))).type).toBe(ErrorType.ConfigError);
  });

  it('refuses bad options with ConfigError', () => {
    const lookup = async () => ({ value: 1 });
    for (const bad of [
      { size: 0 },
      { size: 10, lockTimeoutMs: 0 },
      { size: 10, lockAgeMs: 1.5 },
      { size: 10, lookupTimeoutMs: 2 ** 40 },
    ]) {
      let caught: unknown;
      try {
        new RTCache<string, number>({ lookup, ...bad });
      } catch (err) {
        caught = err;
      }
      expect(PingoraError.is(caught) && caught.type === ErrorType.ConfigError).toBe(true);
    }
  });
});
