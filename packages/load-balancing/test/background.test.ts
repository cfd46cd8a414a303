import { connect } from 'node:net';
import type { BackgroundService, ServiceContext } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import {
  Backend,
  type Discovered,
  HttpHealthCheck,
  LoadBalancer,
  RoundRobin,
  type ServiceDiscovery,
  StaticDiscovery,
  TcpHealthCheck,
} from '../src/index.ts';
import { TestUpstream } from './utils/servers.ts';
import { recordingLogger, waitFor } from './utils/wait.ts';

const CHECK_EVERY_MS = 200;
const CONNECT_TIMEOUT_MS = 500;
// Generous slack for a loaded 2-core machine; the claims are about intervals, not milliseconds.
const SLACK_MS = 2000;

function tryConnect(backend: Backend): Promise<boolean> {
  return new Promise((resolve) => {
    const addr = backend.socketAddr;
    if (addr.kind !== 'inet') return resolve(false);
    const socket = connect({ host: addr.address, port: addr.port });
    const timer = setTimeout(() => done(false), 2000);
    function done(ok: boolean) {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    }
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A client request with retries: another backend after a failure, reporting it (passive health). */
async function request(lb: LoadBalancer): Promise<boolean> {
  const failed = new Set<string>();
  for (let attempt = 0; attempt < 3; attempt++) {
    const b = lb.selectWith('', 256, (candidate, ready) => ready && !failed.has(candidate.addr));
    if (b === undefined) return false;
    if (await tryConnect(b)) {
      lb.reportSuccess(b);
      return true;
    }
    failed.add(b.addr);
    lb.reportFailure(b);
  }
  return false;
}

describe('LoadBalancer background service', () => {
  it('excludes a killed upstream within one check interval plus timeout, readmits it after the success threshold, and no client request fails with retries', async () => {
    await using a = await new TestUpstream().start();
    await using b = await new TestUpstream().start();
    await using c = await new TestUpstream().start();
    const lb = LoadBalancer.fromAddrs([a.addr, b.addr, c.addr], RoundRobin, {
      healthCheck: new TcpHealthCheck({
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        consecutiveSuccess: 2,
      }),
      healthCheckFrequencyMs: CHECK_EVERY_MS,
      parallelHealthCheck: true,
      passiveHealth: { consecutiveFailures: 1, cooldownMs: 300 },
    });
    const shutdown = new AbortController();
    const service = lb.backgroundService('upstreams');
    const running = service.start(shutdown.signal);
    await service.ready();

    let failures = 0;
    let requests = 0;
    let stop = false;
    const client = (async () => {
      while (!stop) {
        requests++;
        if (!(await request(lb))) failures++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    try {
      await waitFor(() => requests > 20, 10_000, 'client traffic');
      await b.stop();
      const killedAt = performance.now();
      // Passive health may take it out first; the claim is about active checks, so look at `healthy`.
      const excludedAfter = await waitFor(
        () => lb.backends().health(b.addr)?.healthy === false,
        CHECK_EVERY_MS + CONNECT_TIMEOUT_MS + SLACK_MS,
        'the killed upstream to be marked unhealthy',
      );
      expect(excludedAfter).toBeLessThanOrEqual(CHECK_EVERY_MS + CONNECT_TIMEOUT_MS + SLACK_MS);
      const requestsWhileDown = requests;
      await waitFor(() => requests > requestsWhileDown + 20, 10_000, 'traffic while it is down');

      expect(lb.backends().health(b.addr)?.ready).toBe(false);
      await b.start(); // same port
      // One success is not enough (threshold 2): it stays out, counting...
      await waitFor(
        () => {
          const h = lb.backends().health(b.addr)!;
          return !h.healthy && h.consecutive === 1;
        },
        CHECK_EVERY_MS + SLACK_MS,
        'the first successful check after the restart',
      );
      // ...and the next one readmits it.
      await waitFor(
        () => lb.backends().health(b.addr)?.ready === true,
        CHECK_EVERY_MS + SLACK_MS,
        'readmission',
      );
      const picks = new Set(Array.from({ length: 6 }, () => lb.select('')!.addr));
      expect(picks.has(b.addr)).toBe(true);
      expect(performance.now() - killedAt).toBeGreaterThan(CHECK_EVERY_MS);
    } finally {
      stop = true;
      await client;
      shutdown.abort();
      await running;
    }
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThan(40);
  });

  it('excludes a hung HTTP upstream within one interval plus the read timeout, and readmits it', async () => {
    let hung = false;
    const respond = (socket: import('node:net').Socket) => {
      socket.on('data', () => {
        if (!hung) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    };
    await using up = await new TestUpstream(respond).start();
    await using other = await new TestUpstream(respond).start();
    const readTimeoutMs = 300;
    const lb = LoadBalancer.fromAddrs([up.addr, other.addr], RoundRobin, {
      healthCheck: new HttpHealthCheck({
        host: 'svc',
        path: '/healthz',
        readTimeoutMs,
        bodyCheck: 'ok',
      }),
      healthCheckFrequencyMs: CHECK_EVERY_MS,
      parallelHealthCheck: true,
    });
    const shutdown = new AbortController();
    const running = lb.backgroundService().start(shutdown.signal);
    try {
      await waitFor(() => up.connections > 0, 5000, 'the first check');
      hung = true; // both stop answering, but only `up` is watched for timing
      const limit = CHECK_EVERY_MS + readTimeoutMs + SLACK_MS;
      const after = await waitFor(
        () => lb.backends().health(up.addr)?.healthy === false,
        limit,
        'exclusion',
      );
      expect(after).toBeLessThanOrEqual(limit);
      expect(lb.backends().health(up.addr)?.lastError?.type).toBe('ReadTimedout');
      hung = false;
      await waitFor(() => lb.backends().health(up.addr)?.ready === true, limit, 'readmission');
    } finally {
      shutdown.abort();
      await running;
    }
  });

  it('re-runs discovery at its refresh interval, logs a failure streak once, and stops promptly on shutdown', async () => {
    let calls = 0;
    let failing = false;
    const inner = new StaticDiscovery(['10.0.0.1:80']);
    const discovery: ServiceDiscovery = {
      refreshIntervalMs: 50,
      discover(): Promise<Discovered> {
        calls++;
        return failing ? Promise.reject(new Error('registry down')) : inner.discover();
      },
    };
    const logger = recordingLogger();
    const lb = new LoadBalancer(RoundRobin, discovery, { logger });
    const shutdown = new AbortController();
    const service = lb.backgroundService();
    const running = service.start(shutdown.signal);
    await service.ready();
    expect(lb.select('')?.addr).toBe('10.0.0.1:80');
    inner.add('10.0.0.2:80');
    await waitFor(() => lb.backends().get().length === 2, 5000, 'the refresh');
    failing = true;
    const before = calls;
    await waitFor(() => calls >= before + 4, 5000, 'several failed refreshes');
    expect(lb.backends().get().length).toBe(2);
    failing = false;
    await waitFor(
      () => logger.lines.some((l) => l.message.includes('recovered')),
      5000,
      'recovery',
    );
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    const stopAt = performance.now();
    shutdown.abort();
    await running;
    expect(performance.now() - stopAt).toBeLessThan(1000);
  });

  it('as a core Service reports ready only after the first discovery, and stops on shutdown', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const discovery: ServiceDiscovery = {
      refreshIntervalMs: 60_000,
      async discover() {
        await gate;
        return { backends: [new Backend('10.0.0.1:80')] };
      },
    };
    const lb = new LoadBalancer(RoundRobin, discovery);
    const service = lb.service('upstreams');
    expect(service.name).toBe('upstreams');
    const shutdown = new AbortController();
    let readyAt = -1;
    const ctx = {
      shutdown: shutdown.signal,
      terminate: new AbortController().signal,
      ready: () => {
        readyAt = lb.backends().get().length;
      },
    } as unknown as ServiceContext;
    const running = service.start(ctx);
    await new Promise((r) => setTimeout(r, 50));
    expect(readyAt).toBe(-1); // discovery still pending: not ready
    release();
    await waitFor(() => readyAt !== -1, 5000, 'ready');
    expect(readyAt).toBe(1); // backends were in place when it said ready
    shutdown.abort();
    await running;
  });

  it('with no frequencies runs discovery and checks once, then returns (as a core BackgroundService)', async () => {
    const lb = new LoadBalancer(RoundRobin, new StaticDiscovery(['10.0.0.1:80']));
    const service: BackgroundService = lb.backgroundService('lb');
    expect(service.name).toBe('lb');
    await service.start(new AbortController().signal);
    expect(lb.select('')?.addr).toBe('10.0.0.1:80');
  });
});
