import { describe, expect, it } from 'vitest';
import {
  Backend,
  type Discovered,
  FnvHash,
  LoadBalancer,
  RoundRobin,
  type ServiceDiscovery,
  StaticDiscovery,
} from '../src/index.ts';

const three = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];

describe('LoadBalancer', () => {
  it('skips backends that are not ready and stops at maxIterations', () => {
    const lb = LoadBalancer.fromAddrs(three, RoundRobin);
    lb.backends().setEnable('10.0.0.2:80', false);
    const picks = Array.from({ length: 6 }, () => lb.select('')!.addr);
    expect(picks).not.toContain('10.0.0.2:80');
    expect(new Set(picks)).toEqual(new Set(['10.0.0.1:80', '10.0.0.3:80']));
    lb.backends().setEnable('10.0.0.1:80', false);
    lb.backends().setEnable('10.0.0.3:80', false);
    expect(lb.select('', 1000)).toBeUndefined();
    lb.backends().setEnable('10.0.0.3:80', true);
    expect(lb.select('', 256)?.addr).toBe('10.0.0.3:80');
  });

  it('selectWith lets the caller decide, seeing readiness, each backend once', () => {
    const lb = LoadBalancer.fromAddrs(three, FnvHash);
    lb.backends().setEnable('10.0.0.1:80', false);
    const offered: Array<[string, boolean]> = [];
    const chosen = lb.selectWith('key', 256, (b, ready) => {
      offered.push([b.addr, ready]);
      return false;
    });
    expect(chosen).toBeUndefined();
    expect(offered.map(([a]) => a).sort()).toEqual(three);
    expect(offered.find(([a]) => a === '10.0.0.1:80')?.[1]).toBe(false);
    // Ignoring health: take a disabled backend anyway.
    expect(lb.selectWith('key', 256, (b) => b.addr === '10.0.0.1:80')?.addr).toBe('10.0.0.1:80');
  });

  it('allows select() from inside an accept callback', () => {
    const lb = LoadBalancer.fromAddrs(three, RoundRobin);
    let inner: Backend | undefined;
    const outer = lb.selectWith('', 10, () => {
      inner ??= lb.select('');
      return true;
    });
    expect(outer).toBeDefined();
    expect(inner).toBeDefined();
    // The shared scratch state is intact afterwards.
    const next = Array.from({ length: 3 }, () => lb.select('')!.addr);
    expect(new Set(next).size).toBe(3);
  });

  it('rebuilds on update only when the set changes, and applies enablement', async () => {
    const enablement = new Map<string, boolean>();
    const inner = new StaticDiscovery(three);
    let calls = 0;
    const discovery: ServiceDiscovery = {
      async discover(): Promise<Discovered> {
        calls++;
        const found = await inner.discover();
        return { backends: found.backends, enablement };
      },
    };
    const lb = new LoadBalancer(RoundRobin, discovery);
    expect(lb.select('')).toBeUndefined();
    await lb.update();
    const first = lb.selection();
    expect(first.backends.map((b) => b.addr)).toEqual(three);
    expect(lb.lastUpdateTiming()?.buildMs).toBeGreaterThanOrEqual(0);
    await lb.update();
    expect(lb.selection()).toBe(first);
    enablement.set('10.0.0.3:80', false);
    await lb.update();
    expect(lb.selection()).toBe(first);
    expect(lb.backends().ready(first.backends[2]!)).toBe(false);
    inner.add({ addr: '10.0.0.4:80', weight: 2 });
    await lb.update();
    expect(lb.selection()).not.toBe(first);
    expect(lb.backends().health('10.0.0.3:80')?.enabled).toBe(false);
    expect(lb.backends().health('10.0.0.4:80')?.ready).toBe(true);
    expect(calls).toBe(4);
  });

  it('hands out picks across a rebuild: old picks stay valid, new picks see the new set', async () => {
    const discovery = new StaticDiscovery(three);
    const lb = new LoadBalancer(RoundRobin, discovery);
    await lb.update();
    const before = lb.select('')!;
    const guard = lb.acquire(before);
    discovery.set(['10.0.0.9:80']);
    await lb.update();
    expect(before.addr).toBe('10.0.0.1:80');
    expect(lb.select('')!.addr).toBe('10.0.0.9:80');
    expect(guard.release()).toBe(true);
  });

  it('joins an update already running, so an older discovery result never lands last', async () => {
    let calls = 0;
    const discovery: ServiceDiscovery = {
      async discover() {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return { backends: [new Backend(`10.0.0.${calls}:80`)] };
      },
    };
    const lb = new LoadBalancer(RoundRobin, discovery);
    await Promise.all([lb.update(), lb.update()]);
    expect(calls).toBe(1);
    await lb.update();
    expect(calls).toBe(2);
    expect(lb.select('')?.addr).toBe('10.0.0.2:80');
  });

  it('keeps everything when discovery fails or returns junk', async () => {
    let mode: 'ok' | 'fail' | 'junk' = 'ok';
    const discovery: ServiceDiscovery = {
      discover() {
        if (mode === 'fail') return Promise.reject(new Error('backend registry down'));
        if (mode === 'junk')
          return Promise.resolve({ backends: [{ addr: '1.2.3.4:80' } as unknown as Backend] });
        return Promise.resolve({ backends: three.map((a) => new Backend(a)) });
      },
    };
    const lb = new LoadBalancer(RoundRobin, discovery);
    await lb.update();
    mode = 'fail';
    await expect(lb.update()).rejects.toThrow('backend registry down');
    mode = 'junk';
    await expect(lb.update()).rejects.toThrow(/ConfigError.*not a Backend/);
    expect(
      lb
        .backends()
        .get()
        .map((b) => b.addr),
    ).toEqual(three);
    expect(lb.select('')).toBeDefined();
  });

  it('merges duplicate addresses by adding their weights', async () => {
    const lb = LoadBalancer.fromAddrs(
      ['10.0.0.1:80', { addr: '10.0.0.1:80', weight: 2 }, '10.0.0.2:80'],
      RoundRobin,
    );
    expect(
      lb
        .backends()
        .get()
        .map((b) => [b.addr, b.weight]),
    ).toEqual([
      ['10.0.0.1:80', 3],
      ['10.0.0.2:80', 1],
    ]);
  });

  it('reports health of unknown or malformed addresses clearly', () => {
    const lb = LoadBalancer.fromAddrs(three, RoundRobin);
    expect(lb.backends().health('10.9.9.9:80')).toBeUndefined();
    lb.backends().setEnable('10.0.0.2:80', false);
    expect(
      lb
        .backends()
        .healthAll()
        .map((h) => [h.addr, h.ready]),
    ).toEqual([
      ['10.0.0.1:80', true],
      ['10.0.0.2:80', false],
      ['10.0.0.3:80', true],
    ]);
    expect(() => lb.backends().health('nonsense')).toThrow(/ConfigError/);
  });

  it('keeps health per set when two load balancers share Backend objects', async () => {
    const shared = three.map((a) => new Backend(a));
    const one = new LoadBalancer(RoundRobin, new StaticDiscovery(shared));
    const two = new LoadBalancer(RoundRobin, new StaticDiscovery(shared));
    await one.update();
    await two.update();
    one.backends().setEnable('10.0.0.1:80', false);
    expect(one.backends().ready(shared[0]!)).toBe(false);
    expect(two.backends().ready(shared[0]!)).toBe(true);
    two.backends().setEnable('10.0.0.2:80', false);
    expect(one.backends().ready(shared[1]!)).toBe(true);
    expect(two.backends().ready(shared[1]!)).toBe(false);
  });
});
