/**
 * The TLS 1.2 session-id cache on an injected clock: bounded by count
 * (oldest out first), entries expire after the session timeout, a zero
 * size keeps nothing, and a stored session is a copy.
 */
import { describe, expect, it } from 'vitest';
import { SessionCache } from '../src/listener/session-cache.ts';

const id = (n: number) => Buffer.from([n]);

describe('SessionCache', () => {
  it('keeps at most `max` sessions, evicting the oldest', () => {
    const cache = new SessionCache(3, 1_000, () => 0);
    for (let n = 0; n < 5; n++) cache.set(id(n), Buffer.from(`s${n}`));
    expect(cache.size).toBe(3);
    expect(cache.get(id(0))).toBeUndefined();
    expect(cache.get(id(1))).toBeUndefined();
    expect(cache.get(id(4))?.toString()).toBe('s4');
  });

  it('expires sessions after the timeout', () => {
    let now = 0;
    const cache = new SessionCache(10, 300_000, () => now);
    cache.set(id(1), Buffer.from('a'));
    now = 299_999;
    expect(cache.get(id(1))?.toString()).toBe('a');
    now = 300_000;
    expect(cache.get(id(1))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stores copies, and nothing at size 0', () => {
    const cache = new SessionCache(2, 1_000, () => 0);
    const data = Buffer.from('abc');
    cache.set(id(1), data);
    data.fill(0);
    expect(cache.get(id(1))?.toString()).toBe('abc');
    const off = new SessionCache(0, 1_000, () => 0);
    off.set(id(1), data);
    expect(off.size).toBe(0);
  });
});
