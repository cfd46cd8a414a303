import { describe, expect, it } from 'vitest';
import { CacheLock } from '../src/cache-lock.ts';

describe('CacheLock', () => {
  it('wakes every waiter on release, and later waits resolve at once', async () => {
    const lock = new CacheLock(0);
    const waits = [lock.wait(undefined), lock.wait(10_000), lock.wait(10_000)];
    expect(lock.waiting).toBe(3);
    lock.release();
    expect(await Promise.all(waits)).toEqual([true, true, true]);
    expect(lock.waiting).toBe(0);
    expect(await lock.wait(1)).toBe(true);
  });

  it('a timed-out waiter resolves false and leaves the waiter set', async () => {
    const lock = new CacheLock(0);
    const stays = lock.wait(undefined);
    expect(await lock.wait(5)).toBe(false);
    expect(lock.waiting).toBe(1);
    lock.release();
    expect(await stays).toBe(true);
  });
});
