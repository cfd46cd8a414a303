/**
 * Safe defaults for users: select() without a key for selections that ignore
 * it, a Backend that hands out one cached HttpPeer, and a service that
 * reports ready only after the first health check round when asked to.
 */
import type { ServiceContext } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import {
  Backend,
  type HealthCheck,
  LoadBalancer,
  RoundRobin,
  StaticDiscovery,
} from '../src/index.ts';

describe('safe defaults', () => {
  it('select() needs no key for round robin', () => {
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80', '10.0.0.2:80'], RoundRobin);
    const picks = [lb.select(), lb.select(), lb.select(), lb.select()].map((b) => b?.addr);
    expect(new Set(picks)).toEqual(new Set(['10.0.0.1:80', '10.0.0.2:80']));
    expect(picks[0]).toBe(picks[2]);
  });

  it('a Backend gives one cached HttpPeer, rebuilt only when the init differs', () => {
    const backend = new Backend('10.0.0.1:443');
    const plain = backend.httpPeer();
    expect(backend.httpPeer()).toBe(plain);
    expect(plain.tls).toBe(false);
    const tls = backend.httpPeer({ tls: true, sni: 'a.example' });
    expect(tls).not.toBe(plain);
    // An equal init given as a fresh literal keeps the cache.
    expect(backend.httpPeer({ tls: true, sni: 'a.example' })).toBe(tls);
    expect(tls.sni).toBe('a.example');
    expect(tls.reuseHash()).toBe(backend.httpPeer({ tls: true, sni: 'a.example' }).reuseHash());
    expect(backend.httpPeer({ tls: true, sni: 'b.example' }).sni).toBe('b.example');
  });

  it("service({ readyAfter: 'health-check' }) is ready only once the first round is done", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const checked: string[] = [];
    const check: HealthCheck = {
      healthThreshold: () => 1,
      async check(backend) {
        await gate;
        checked.push(backend.addr);
        throw new Error('down');
      },
    };
    const lb = new LoadBalancer(RoundRobin, new StaticDiscovery(['10.0.0.1:80', '10.0.0.2:80']));
    lb.setHealthCheck(check);
    const service = lb.service('upstreams', { readyAfter: 'health-check' });
    const shutdown = new AbortController();
    let readyWith: number | undefined;
    const ready = new Promise<void>((resolve) => {
      const ctx = {
        shutdown: shutdown.signal,
        terminate: new AbortController().signal,
        ready: () => {
          readyWith = checked.length;
          resolve();
        },
      } as unknown as ServiceContext;
      void service.start(ctx);
    });
    // Discovery is done (backends known) but the round is not: not ready yet.
    for (let i = 0; i < 20 && lb.backends().get().length === 0; i++) {
      await new Promise((r) => setImmediate(r));
    }
    expect(lb.backends().get()).toHaveLength(2);
    expect(readyWith).toBeUndefined();
    release();
    await ready;
    expect(readyWith).toBe(2);
    // Both failed their first check: nothing is selected.
    expect(lb.select()).toBeUndefined();
    shutdown.abort();
  });
});
