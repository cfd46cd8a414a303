/**
 * Proxy failures reach Sentry through the real SDK and its HTTP transport,
 * received by a fake ingestion endpoint on loopback: the event carries the
 * error chain, the phase, the peer, the retries and a request whose
 * credentials (built-in and configured headers, query string) never appear
 * anywhere in what was sent; server phases arrive as breadcrumbs.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupSentry } from '../src/setup-sentry.ts';
import { type Json, startFakeIngest } from './utils/fake-ingest.ts';
import { startGateway } from './utils/gateway.ts';

const SECRETS = [
  's3cret-set-cookie',
  'Bearer s3cret-token',
  'sid=s3cret-cookie',
  's3cret-proxy',
  's3cret-api-key',
  's3cret-query',
  '203.0.113.9',
];

function conf(dsn: string): string {
  return [
    'version: 1',
    'sentry:',
    `  dsn: ${dsn}`,
    '  environment: test-env',
    '  release: gateway@1.2.3',
    '  sample_rate: 1.0',
    '  redact_headers: [X-Api-Key]',
    '',
  ].join('\n');
}

async function closedAddress(): Promise<string> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

describe('Sentry reports of proxy failures', () => {
  it('sends the chain, phase, peer, retries and a redacted request; no secret anywhere', async () => {
    await using ingest = await startFakeIngest();
    const upstream = await closedAddress();
    await using gw = await startGateway(conf(ingest.dsn), upstream, {
      failToConnect: (_s, _p, _c, e) => e.withRetry(true),
    });
    const res = await httpRequest(gw.port, '/orders/42?token=s3cret-query', {
      headers: {
        host: 'shop.example',
        authorization: 'Bearer s3cret-token',
        cookie: 'sid=s3cret-cookie',
        'proxy-authorization': 'Basic s3cret-proxy',
        'x-api-key': 's3cret-api-key',
        'set-cookie': 'sid=s3cret-set-cookie',
        'x-forwarded-for': '203.0.113.9',
        'user-agent': 'sentry-test/1',
      },
    });
    expect(res.status).toBe(502);
    expect(await gw.sentry?.flush(3000)).toBe(true);
    const [event] = await ingest.waitForEvents(1);
    const e = event as Record<string, Json>;
    // Envelope and SDK identity.
    const envelope = ingest.envelopes.find((x) => x.items.some((i) => i.header.type === 'event'));
    if (envelope === undefined) throw new Error('no event envelope');
    expect(envelope.path).toMatch(/^\/api\/1\/envelope\/\?/);
    expect(envelope.header.event_id).toBe(e.event_id);
    expect((envelope.header.sdk as { name: string }).name).toBe('sentry.javascript.node');
    expect(envelope.path).toContain('sentry_key=publickey');
    expect(e.environment).toBe('test-env');
    expect(e.release).toBe('gateway@1.2.3');
    expect(e.level).toBe('error');
    // The error chain: the PingoraError, then Node's connect error (linked errors, innermost first).
    const values = e.exception.values as Array<Record<string, Json>>;
    expect(values.length).toBeGreaterThanOrEqual(2);
    const outer = values[values.length - 1] as Record<string, Json>;
    expect(outer.type).toBe('PingoraError');
    expect(outer.value).toMatch(/Upstream ConnectRefused/);
    expect(outer.mechanism).toMatchObject({ type: 'pingora.proxy', handled: true });
    expect(values.some((v) => /ECONNREFUSED/.test(String(v.value)))).toBe(true);
    expect(outer.stacktrace.frames.length).toBeGreaterThan(0);
    // Where it failed.
    expect(e.tags['pingora.phase']).toBe('connect');
    expect(e.tags['pingora.error_kind']).toBe('ConnectRefused');
    expect(e.tags['pingora.error_source']).toBe('Upstream');
    expect(e.tags['pingora.peer']).toContain(upstream);
    const ctx = e.contexts.pingora as Record<string, Json>;
    expect(ctx.phase).toBe('connect');
    expect(ctx.retries).toBe(16);
    expect(ctx.request).toBe('GET /orders/42, Host: shop.example');
    expect(ctx.failures[0]).toMatch(/ConnectRefused/);
    // The request, redacted.
    expect(e.request.method).toBe('GET');
    expect(e.request.url).toBe('http://shop.example/orders/42');
    expect(e.request.query_string).toBeUndefined();
    expect(e.request.headers.authorization).toBe('[Filtered]');
    expect(e.request.headers.cookie).toBe('[Filtered]');
    expect(e.request.headers['proxy-authorization']).toBe('[Filtered]');
    expect(e.request.headers['x-api-key']).toBe('[Filtered]');
    expect(e.request.headers['set-cookie']).toBe('[Filtered]');
    expect(e.request.headers['x-forwarded-for']).toBe('[Filtered]');
    expect(e.request.headers['user-agent']).toBe('sentry-test/1');
    // Breadcrumbs from the server phases.
    const crumbs = (e.breadcrumbs as Array<Record<string, Json>>).filter(
      (b) => b.category === 'pingora.phase',
    );
    expect(crumbs.map((b) => b.data.phase)).toEqual(
      expect.arrayContaining(['Bootstrap', 'Running']),
    );
    // No secret in anything sent.
    for (const env of ingest.envelopes)
      for (const secret of SECRETS) expect(env.raw).not.toContain(secret);
  });

  it('reports errors thrown by filters with their phase and stack, and skips client aborts', async () => {
    await using ingest = await startFakeIngest();
    await using gw = await startGateway(conf(ingest.dsn), await closedAddress(), {
      requestFilter: (s) => {
        if (s.reqHeader.path === '/bug') throw new TypeError('filter bug');
        throw PingoraError.explain('ConnectionClosed', 'client went away').asDownstream();
      },
    });
    expect((await httpRequest(gw.port, '/bug')).status).toBe(500);
    await httpRequest(gw.port, '/client-gone').catch(() => undefined);
    await gw.sentry?.flush(3000);
    const events = await ingest.waitForEvents(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(ingest.events()).toHaveLength(1);
    const e = events[0] as Record<string, Json>;
    expect(e.tags['pingora.phase']).toBe('request_filter');
    const values = e.exception.values as Array<Record<string, Json>>;
    const root = values.find((v) => v.type === 'TypeError') as Record<string, Json>;
    expect(root.value).toBe('filter bug');
    expect(JSON.stringify(root.stacktrace.frames)).toContain('sentry-proxy.test.ts');
  });
});

describe('the sentry YAML section', () => {
  it('is off without a dsn and refuses a bad one naming key and line', async () => {
    const quiet = pino({ level: 'silent' });
    expect(
      await setupSentry(new Server({ confText: 'version: 1\n', logger: quiet })),
    ).toBeUndefined();
    const bad = new Server({ confText: 'version: 1\nsentry:\n  dsn: not a url\n', logger: quiet });
    await expect(setupSentry(bad)).rejects.toThrow(/<inline>:3:.*sentry\.dsn/);
    const rate = new Server({
      confText: 'version: 1\nsentry:\n  dsn: http://k@127.0.0.1:9/1\n  sample_rate: 2\n',
      logger: quiet,
    });
    await expect(setupSentry(rate)).rejects.toThrow(/sentry\.sample_rate/);
    const header = new Server({
      confText:
        'version: 1\nsentry:\n  dsn: http://k@127.0.0.1:9/1\n  redact_headers: ["bad header"]\n',
      logger: quiet,
    });
    await expect(setupSentry(header)).rejects.toThrow(/sentry\.redact_headers\[0\]/);
  });
});
