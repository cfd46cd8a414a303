/**
 * Upstream connection metrics from core's connector events over real
 * sockets: new vs pooled connections per peer, pool drops by reason
 * (eviction, idle timeout, closed by the upstream), and the series bound.
 */
import { channel } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpPeer } from '@pingora-ts/core';
import { TransportConnector } from '@pingora-ts/core/connectors';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { type Sample, sampleValue, scrape, scrapeUntil } from './utils/scrape.ts';
import { runServices, startTcpOrigin } from './utils/servers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(options: { maxSeries?: number; poolSize?: number } = {}) {
  const m = new PrometheusMetrics({ registry: new Registry(), ...options });
  const connector = new TransportConnector({ keepalivePoolSize: options.poolSize ?? 16 });
  cleanups.push(() => {
    m[Symbol.dispose]();
    connector.close();
  });
  return { m, connector };
}

/** Takes a connection to `peer` (pooled if possible) and gives it back. */
async function roundTrip(connector: TransportConnector, peer: HttpPeer): Promise<boolean> {
  const { stream, reused } = await connector.getStream(peer);
  connector.releaseStream(stream, peer);
  return reused;
}

const drops = (s: Sample[], reason: string) =>
  sampleValue(s, 'pingora_upstream_pool_drops_total', { reason });

describe('upstream metrics', () => {
  it('counts new and reused upstream connections per peer', async () => {
    const { m, connector } = setup();
    await using origin = await startTcpOrigin();
    await using run = await runServices(
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const peer = new HttpPeer(origin.address);
    expect(await roundTrip(connector, peer)).toBe(false);
    expect(await roundTrip(connector, peer)).toBe(true);
    // A peer built anew per request (same address text) lands in the same series.
    expect(await roundTrip(connector, new HttpPeer(origin.address))).toBe(true);
    const samples = await scrape(run.ports[0] as number);
    const labels = { peer: origin.address };
    expect(sampleValue(samples, 'pingora_upstream_connections_opened_total', labels)).toBe(1);
    expect(sampleValue(samples, 'pingora_upstream_connections_reused_total', labels)).toBe(2);
    expect(connector.stats).toMatchObject({ newConnections: 1, reusedConnections: 2 });
  });

  it('counts pool drops by reason: evicted, idle timeout, closed by the upstream', async () => {
    const { m, connector } = setup({ poolSize: 1 });
    await using a = await startTcpOrigin();
    await using b = await startTcpOrigin();
    await using run = await runServices(
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const port = run.ports[0] as number;
    // Pool of one: pooling b's connection evicts a's.
    const peerA = new HttpPeer(a.address);
    const peerB = new HttpPeer(b.address);
    const leaseA = await connector.getStream(peerA);
    const leaseB = await connector.getStream(peerB);
    connector.releaseStream(leaseA.stream, peerA);
    connector.releaseStream(leaseB.stream, peerB);
    // The origin closes the pooled connection to b.
    b.dropConnections();
    let samples = await scrapeUntil(port, (s) => drops(s, 'closed') === 1);
    expect(drops(samples, 'evicted')).toBe(1);
    expect(drops(samples, 'closed')).toBe(1);
    // A short idle timeout closes the next pooled connection.
    const brief = new HttpPeer(a.address, { options: { idleTimeout: 30 } });
    await roundTrip(connector, brief);
    samples = await scrapeUntil(port, (s) => drops(s, 'idle-timeout') === 1);
    expect(drops(samples, 'idle-timeout')).toBe(1);
    expect(connector.stats).toMatchObject({ evictions: 1, idleCloses: 1, idleTimeouts: 1 });
  });

  it('counts peers past maxSeries under peer="other"', async () => {
    const { m, connector } = setup({ maxSeries: 2 });
    const origins = [await startTcpOrigin(), await startTcpOrigin(), await startTcpOrigin()];
    try {
      for (const o of origins) await roundTrip(connector, new HttpPeer(o.address));
      await roundTrip(connector, new HttpPeer(origins[2]!.address));
      const text = await m.registry.metrics();
      const opened = text
        .split('\n')
        .filter((l) => l.startsWith('pingora_upstream_connections_opened_total{'));
      expect(opened).toEqual([
        `pingora_upstream_connections_opened_total{peer="${origins[0]!.address}"} 1`,
        `pingora_upstream_connections_opened_total{peer="${origins[1]!.address}"} 1`,
        'pingora_upstream_connections_opened_total{peer="other"} 1',
      ]);
      expect(text).toContain('pingora_upstream_connections_reused_total{peer="other"} 1');
    } finally {
      connector.close();
      for (const o of origins) await o[Symbol.asyncDispose]();
    }
  });

  it('ignores malformed messages on the channels it listens to', async () => {
    const { m } = setup();
    const names = [
      'pingora-ts:core:connector:new',
      'pingora-ts:core:connector:reuse',
      'pingora-ts:core:connector:evict',
      'pingora-ts:core:connection-accepted',
      'pingora-ts:core:connection-closed',
      'pingora-ts:core:phase',
      'pingora-ts:core:service',
      'pingora-ts:load-balancing:health',
      'pingora-ts:proxy:request',
    ];
    const junk: unknown[] = [
      null,
      42,
      'x',
      {},
      { peer: null },
      { peer: { address: { kind: 'weird' } } },
      { service: 1, endpoint: [] },
      { phase: 'Nope' },
      { backend: { addr: 5 }, ready: 'yes' },
    ];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      for (const name of names) for (const message of junk) channel(name).publish(message);
      await sleep(20);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    const text = await m.registry.metrics();
    // Every sample is still 0 (phase state set, unlabeled totals): no event was counted.
    const values = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(values.filter((l) => !l.endsWith(' 0'))).toEqual([]);
    expect(values.length).toBeGreaterThanOrEqual(12);
  });
});
