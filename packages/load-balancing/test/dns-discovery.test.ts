import type { SrvRecord } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { DnsDiscovery, type DnsResolver, LoadBalancer, RoundRobin } from '../src/index.ts';
import { TestDnsServer } from './utils/dns-server.ts';
import { recordingLogger } from './utils/wait.ts';

async function addrs(discovery: DnsDiscovery): Promise<Array<[string, number]>> {
  const found = await discovery.discover();
  return [...found.backends].map((b) => [b.addr, b.weight]);
}

describe('DnsDiscovery through node:dns against a local zone', () => {
  it('finds backends from A, AAAA and both', async () => {
    await using dns = await new TestDnsServer().start();
    dns.zone.set('api.test', { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['2001:db8::1'] });
    dns.zone.set('v4only.test', { A: ['10.0.0.9'] });
    const opts = { servers: [dns.server], port: 8080, timeoutMs: 1000 };
    expect(await addrs(new DnsDiscovery({ ...opts, name: 'api.test' }))).toEqual([
      ['10.0.0.1:8080', 1],
      ['10.0.0.2:8080', 1],
    ]);
    expect(
      await addrs(new DnsDiscovery({ ...opts, name: 'api.test', type: 'AAAA', weight: 3 })),
    ).toEqual([['[2001:db8::1]:8080', 3]]);
    expect(
      (await addrs(new DnsDiscovery({ ...opts, name: 'api.test', type: 'A+AAAA' }))).length,
    ).toBe(3);
    // One family without records is fine when the other has some.
    expect(await addrs(new DnsDiscovery({ ...opts, name: 'v4only.test', type: 'A+AAAA' }))).toEqual(
      [['10.0.0.9:8080', 1]],
    );
    expect(dns.queries).toBeGreaterThanOrEqual(6);
  });

  it('finds backends from SRV: per-target port and weight, lowest priority only', async () => {
    await using dns = await new TestDnsServer().start();
    dns.zone.set('_http._tcp.api.test', {
      SRV: [
        { priority: 10, weight: 5, port: 8001, target: 'a.api.test' },
        { priority: 10, weight: 0, port: 8002, target: 'b.api.test' },
        { priority: 20, weight: 9, port: 8003, target: 'backup.api.test' },
      ],
    });
    dns.zone.set('a.api.test', { A: ['10.0.1.1'] });
    dns.zone.set('b.api.test', { A: ['10.0.1.2', '10.0.1.3'] });
    dns.zone.set('backup.api.test', { A: ['10.0.9.9'] });
    const discovery = new DnsDiscovery({
      name: '_http._tcp.api.test',
      type: 'SRV',
      servers: [dns.server],
      timeoutMs: 1000,
    });
    expect((await addrs(discovery)).sort()).toEqual([
      ['10.0.1.1:8001', 5],
      ['10.0.1.2:8002', 1],
      ['10.0.1.3:8002', 1],
    ]);
  });

  it('keeps the last good set when the server fails, goes silent or drops the name, and logs that once', async () => {
    await using dns = await new TestDnsServer().start();
    dns.zone.set('api.test', { A: ['10.0.0.1'] });
    const logger = recordingLogger();
    const discovery = new DnsDiscovery({
      name: 'api.test',
      port: 80,
      servers: [dns.server],
      timeoutMs: 300,
      refreshIntervalMs: 1000,
      logger,
    });
    const lb = new LoadBalancer(RoundRobin, discovery);
    expect(lb.effectiveUpdateFrequencyMs()).toBe(1000);
    await lb.update();
    expect(lb.select('')?.addr).toBe('10.0.0.1:80');
    for (const mode of ['servfail', 'silent'] as const) {
      dns.mode = mode;
      await lb.update();
      expect(
        lb
          .backends()
          .get()
          .map((b) => b.addr),
      ).toEqual(['10.0.0.1:80']);
    }
    dns.mode = 'answer';
    dns.zone.delete('api.test');
    await lb.update();
    dns.zone.set('api.test', { A: [] }); // NODATA: empty is treated as a failure too
    await lb.update();
    expect(lb.select('')?.addr).toBe('10.0.0.1:80');
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    dns.zone.set('api.test', { A: ['10.0.0.2', '10.0.0.3'] });
    await lb.update();
    expect(
      lb
        .backends()
        .get()
        .map((b) => b.addr),
    ).toEqual(['10.0.0.2:80', '10.0.0.3:80']);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('rejects the first lookup when there is no good set yet', async () => {
    await using dns = await new TestDnsServer().start();
    const discovery = new DnsDiscovery({
      name: 'missing.test',
      port: 80,
      servers: [dns.server],
      timeoutMs: 500,
    });
    await expect(discovery.discover()).rejects.toMatchObject({ type: 'ConnectNoRoute' });
  });
});

describe('DnsDiscovery with an injected resolver', () => {
  function resolver(overrides: Partial<DnsResolver>): DnsResolver {
    const none = () =>
      Promise.reject(Object.assign(new Error('queryA ENODATA'), { code: 'ENODATA' }));
    return { resolve4: none, resolve6: none, resolveSrv: none, ...overrides };
  }

  it('uses the injected resolver and bounds a hung lookup by the timeout', async () => {
    const d = new DnsDiscovery({
      name: 'x',
      port: 81,
      resolver: resolver({ resolve4: async () => ['192.0.2.1'] }),
    });
    expect(await addrs(d)).toEqual([['192.0.2.1:81', 1]]);
    const hung = new DnsDiscovery({
      name: 'x',
      port: 81,
      timeoutMs: 100,
      resolver: resolver({ resolve4: () => new Promise(() => {}) }),
    });
    await expect(hung.discover()).rejects.toMatchObject({ type: 'ConnectTimedout' });
  });

  it('rejects unusable answers and options', async () => {
    const junk = new DnsDiscovery({
      name: 'x',
      port: 81,
      resolver: resolver({ resolve4: async () => ['not-an-ip'] }),
    });
    await expect(junk.discover()).rejects.toThrow(/unusable address/);
    const srv: SrvRecord[] = [{ name: '.', port: 80, priority: 1, weight: 1 }];
    const declined = new DnsDiscovery({
      name: 'x',
      type: 'SRV',
      resolver: resolver({ resolveSrv: async () => srv }),
    });
    await expect(declined.discover()).rejects.toThrow(/found no backends/);
    expect(() => new DnsDiscovery({ name: 'x' })).toThrow(/ConfigError.*port/);
    expect(() => new DnsDiscovery({ name: '', port: 80 })).toThrow(/ConfigError/);
    expect(() => new DnsDiscovery({ name: 'x', port: 80, servers: ['not a server'] })).toThrow(
      /ConfigError/,
    );
  });

  it('caps the number of backends taken from one answer', async () => {
    const many = Array.from({ length: 50 }, (_, i) => `192.0.2.${i + 1}`);
    const d = new DnsDiscovery({
      name: 'x',
      port: 80,
      maxBackends: 10,
      resolver: resolver({ resolve4: async () => many }),
    });
    expect((await addrs(d)).length).toBe(10);
  });
});
