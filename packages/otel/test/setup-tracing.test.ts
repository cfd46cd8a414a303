/**
 * Tracing from the `tracing` YAML section: the SDK loaded on demand exports
 * through its batch processor to the fake OTLP receiver with the configured
 * service name; sample_ratio 0 exports nothing for new traces yet still
 * propagates an unsampled traceparent, and follows a client's sampled one;
 * no section leaves tracing off; bad values are refused by key and line.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpPeer, Server } from '@pingora-ts/core';
import { httpProxyService, proxyLifecycleChannels } from '@pingora-ts/proxy';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupTracing } from '../src/setup-tracing.ts';
import { startFakeOtlp } from './utils/fake-otlp.ts';

async function gateway(yaml: string) {
  const seen: IncomingHttpHeaders[] = [];
  const origin = createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  const address = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const server = new Server({ confText: yaml, logger: pino({ level: 'silent' }) });
  const handle = await setupTracing(server);
  const service = httpProxyService(server, {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(address),
  });
  service.addTcp('127.0.0.1:0');
  server.addService(service);
  const run = server.run();
  const [bound] = await service.listening;
  if (bound === undefined || bound.kind !== 'inet') throw new Error('not listening');
  return {
    port: bound.port,
    handle,
    seen,
    async [Symbol.asyncDispose]() {
      await run.shutdown({ graceful: false });
      await handle?.close();
      origin.closeAllConnections();
      origin.close();
    },
  };
}

describe('setupTracing', () => {
  it('exports spans with the configured service name through the batch processor', async () => {
    await using otlp = await startFakeOtlp();
    await using gw = await gateway(
      `version: 1\ntracing:\n  otlp_endpoint: ${otlp.url}\n  service_name: edge-gw\n`,
    );
    expect((await httpRequest(gw.port, '/')).status).toBe(200);
    await gw.handle?.flush();
    const spans = await otlp.waitForSpans(2);
    expect(spans.map((s) => s.kind).sort()).toEqual([2, 3]);
    expect(spans.every((s) => s.resource['service.name'] === 'edge-gw')).toBe(true);
    expect(gw.seen[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('sample_ratio 0: new traces are not exported but still propagated; sampled clients are followed', async () => {
    await using otlp = await startFakeOtlp();
    await using gw = await gateway(
      `version: 1\ntracing:\n  otlp_endpoint: ${otlp.url}\n  sample_ratio: 0\n`,
    );
    await httpRequest(gw.port, '/');
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await httpRequest(gw.port, '/', { headers: { traceparent: parent } });
    await gw.handle?.flush();
    const spans = await otlp.waitForSpans(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(otlp.spans).toHaveLength(2);
    expect(spans.every((s) => s.traceId === '4bf92f3577b34da6a3ce929d0e0e4736')).toBe(true);
    expect(gw.seen[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(gw.seen[1]?.traceparent).toMatch(
      /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
    );
  });

  it('stays off without an endpoint and refuses bad values by key and line', async () => {
    await using gw = await gateway('version: 1\n');
    expect(gw.handle).toBeUndefined();
    expect(proxyLifecycleChannels.requestStart.hasSubscribers).toBe(false);
    const quiet = pino({ level: 'silent' });
    await expect(
      setupTracing(
        new Server({ confText: 'version: 1\ntracing:\n  otlp_endpoint: ftp://x\n', logger: quiet }),
      ),
    ).rejects.toThrow(/<inline>:3:.*tracing\.otlp_endpoint/);
    await expect(
      setupTracing(
        new Server({
          confText:
            'version: 1\ntracing:\n  otlp_endpoint: http://127.0.0.1:9/v1/traces\n  sample_ratio: 3\n',
          logger: quiet,
        }),
      ),
    ).rejects.toThrow(/tracing\.sample_ratio/);
  });
});
