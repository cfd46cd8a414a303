import { describe, expect, it } from 'vitest';
import { Inflight } from '../src/index.ts';

describe('Inflight', () => {
  it('counts guards and takes each back exactly once', () => {
    const inflight = new Inflight({ seed: 1 });
    const a = inflight.incr('upstream-1');
    const b = inflight.incr('upstream-1', 2);
    expect([a.count, b.count]).toEqual([1, 3]);
    expect(inflight.get('upstream-1')).toBe(3);
    a.release();
    a.release();
    a[Symbol.dispose]();
    expect(a.released).toBe(true);
    expect(inflight.get('upstream-1')).toBe(2);
    expect(b.get()).toBe(2);
    b.release();
    expect(inflight.get('upstream-1')).toBe(0);
  });

  it('releases at the end of a using scope, also when it throws', () => {
    const inflight = new Inflight({ seed: 2 });
    {
      using guard = inflight.incr('k');
      expect(guard.count).toBe(1);
      expect(inflight.get('k')).toBe(1);
    }
    expect(inflight.get('k')).toBe(0);
    expect(() => {
      using _guard = inflight.incr('k', 5);
      throw new Error('handler failed');
    }).toThrow('handler failed');
    expect(inflight.get('k')).toBe(0);
  });

  it('returns to zero after many interleaved guards', () => {
    const inflight = new Inflight({ seed: 3, slots: 64 });
    const guards = [];
    for (let i = 0; i < 1000; i++) guards.push(inflight.incr(`key-${i % 37}`));
    expect(inflight.get('key-0')).toBeGreaterThanOrEqual(28);
    for (let i = guards.length - 1; i >= 0; i -= 2) guards[i]!.release();
    for (const g of guards) g.release();
    for (let k = 0; k < 37; k++) expect(inflight.get(`key-${k}`)).toBe(0);
  });

  it('rejects a non-finite value', () => {
    expect(() => new Inflight().incr('k', Number.NaN)).toThrow(RangeError);
  });
});
