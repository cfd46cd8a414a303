import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CacheKey, CacheLock, LockStatus, type ReadLock } from '../src/index.ts';

const key = new CacheKey('', 'lock');

describe('CacheLock (fake clock)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const make = (age = 1000, wait = 1000) =>
    new CacheLock({ ageTimeoutMs: age, waitTimeoutMs: wait, now: () => Date.now() });

  it('first caller writes, the others read and wake with the writer status', async () => {
    const lock = make();
    const w = lock.lock(key);
    const r1 = lock.lock(key);
    const r2 = lock.lock(key);
    expect(w.kind).toBe('write');
    expect(r1.kind).toBe('read');
    const waits = [r1, r2].map((r) => (r as { lock: ReadLock }).lock.wait(1000));
    await vi.advanceTimersByTimeAsync(100);
    if (w.kind === 'write') w.permit.release(LockStatus.Done);
    expect(await Promise.all(waits)).toEqual([LockStatus.Done, LockStatus.Done]);
    expect(lock.size).toBe(0);
    // the key is free again: the next caller writes
    expect(lock.lock(key).kind).toBe('write');
  });

  for (const status of [LockStatus.TransientError, LockStatus.GiveUp, LockStatus.Dangling]) {
    it(`readers see ${status}`, async () => {
      const lock = make();
      const w = lock.lock(key);
      const r = lock.lock(key);
      const p = r.kind === 'read' ? r.lock.wait(1000) : Promise.reject(new Error('not a reader'));
      if (w.kind === 'write') w.permit.release(status);
      expect(await p).toBe(status);
    });
  }

  it('a reader gives up after its wait timeout', async () => {
    const lock = make(10_000, 500);
    lock.lock(key);
    const r = lock.lock(key);
    const p = r.kind === 'read' ? r.lock.wait(500) : undefined;
    await vi.advanceTimersByTimeAsync(499);
    let settled = false;
    p?.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe(LockStatus.WaitTimeout);
    // the writer still holds the key
    expect(lock.lock(key).kind).toBe('read');
  });

  it('a lock older than the age timeout is replaced: readers see AgeTimeout, a new writer is elected', async () => {
    const lock = make(1000, 5000);
    const w = lock.lock(key);
    const r = lock.lock(key);
    const p = r.kind === 'read' ? r.lock.wait(5000) : undefined;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await p).toBe(LockStatus.AgeTimeout);
    expect(w.kind === 'write' && w.permit.released).toBe(true);
    const next = lock.lock(key);
    expect(next.kind).toBe('write');
    // the old writer's release does not free the new writer's key
    if (w.kind === 'write') w.permit.release(LockStatus.Done);
    expect(lock.lock(key).kind).toBe('read');
  });

  it('locking an aged key directly elects a new writer', async () => {
    const lock = make(1000);
    lock.lock(key);
    await vi.advanceTimersByTimeAsync(1500);
    expect(lock.lock(key).kind).toBe('write');
  });

  it('refuses bad timeouts with a ConfigError', () => {
    expect(() => new CacheLock({ ageTimeoutMs: 0 })).toThrow(/ageTimeoutMs/);
    expect(() => new CacheLock({ ageTimeoutMs: 1, waitTimeoutMs: -1 })).toThrow(/waitTimeoutMs/);
  });
});
