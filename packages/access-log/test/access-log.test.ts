/**
 * The access log end to end: requests through a real proxy configured from
 * YAML produce JSON lines (parsed and checked field by field) or nginx
 * combined lines; request ids are kept or generated and passed upstream;
 * SIGUSR1 reopens the file after logrotate moved it; credentials never appear.
 */
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { startGateway, startOrigin, waitForLines } from './utils/gateway.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function tempLog(): string {
  return join(mkdtempSync(join(tmpdir(), 'access-log-')), 'access.log');
}

function yaml(path: string, format = 'json'): string {
  return `version: 1\naccess_log:\n  path: ${path}\n  format: ${format}\n`;
}

describe('JSON access log', () => {
  it('writes one line per request with every field', async () => {
    await using origin = await startOrigin();
    const file = tempLog();
    await using gw = await startGateway(yaml(file), origin.address);
    const first = await httpRequest(gw.port, '/slow?q=1', {
      method: 'POST',
      body: 'twelve bytes',
      headers: {
        'x-request-id': 'abc-123',
        'user-agent': 'tester/1.0',
        authorization: 'Bearer secret-token-1',
        cookie: 'session=secret-cookie-2',
      },
    });
    expect(first.status).toBe(200);
    const second = await httpRequest(gw.port, '/again');
    expect(second.status).toBe(200);
    const lines = (await waitForLines(file, 2)).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    const [a, b] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(Object.keys(a).sort()).toEqual(
      [
        'log',
        'time',
        'method',
        'path',
        'status',
        'bytes_in',
        'bytes_out',
        'duration_ms',
        'upstream_connect_ms',
        'upstream_ttfb_ms',
        'peer',
        'reused',
        'retries',
        'client',
        'user_agent',
        'request_id',
      ].sort(),
    );
    expect(a.log).toBe('access');
    expect(Date.parse(String(a.time))).toBeGreaterThan(Date.now() - 60_000);
    expect(a.method).toBe('POST');
    expect(a.path).toBe('/slow?q=1');
    expect(a.status).toBe(200);
    expect(a.bytes_in).toBe(12);
    expect(a.bytes_out).toBe('hello origin'.length);
    expect(a.peer).toBe(origin.address);
    expect(a.reused).toBe(false);
    expect(a.retries).toBe(0);
    expect(String(a.client)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(a.user_agent).toBe('tester/1.0');
    expect(a.request_id).toBe('abc-123');
    // The origin waits 40 ms before answering /slow: that is time to first byte.
    expect(a.upstream_ttfb_ms).toBeGreaterThanOrEqual(35);
    expect(a.upstream_connect_ms).toBeGreaterThanOrEqual(0);
    expect(a.duration_ms).toBeGreaterThanOrEqual(a.upstream_ttfb_ms as number);
    // The second request rides the pooled upstream connection and gets a fresh id.
    expect(b.reused).toBe(true);
    expect(b.upstream_connect_ms).toBeLessThan(1);
    expect(String(b.request_id)).toMatch(UUID);
    // Ids went upstream as the log says.
    expect(origin.seen.map((h) => h['x-request-id'])).toEqual(['abc-123', b.request_id]);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('secret-token-1');
    expect(text).not.toContain('secret-cookie-2');
  });

  it('replaces invalid or oversized incoming ids and sends exactly one upstream', async () => {
    await using origin = await startOrigin();
    const file = tempLog();
    await using gw = await startGateway(yaml(file), origin.address);
    for (const bad of ['has space', 'a,b', 'x'.repeat(129), 'é']) {
      const res = await httpRequest(gw.port, '/', { headers: { 'x-request-id': bad } });
      expect(res.status).toBe(200);
    }
    await httpRequest(gw.port, '/', { headers: { 'x-request-id': 'y'.repeat(128) } });
    const lines = (await waitForLines(file, 5)).map((l) => JSON.parse(l) as { request_id: string });
    for (const line of lines.slice(0, 4)) expect(line.request_id).toMatch(UUID);
    expect(lines[4]?.request_id).toBe('y'.repeat(128));
    expect(origin.seen.map((h) => h['x-request-id'])).toEqual(lines.map((l) => l.request_id));
  });

  it('logs a failed request with its status, error kind and peer', async () => {
    const origin = await startOrigin();
    const address = origin.address;
    await origin[Symbol.asyncDispose]();
    const file = tempLog();
    await using gw = await startGateway(yaml(file), address);
    expect((await httpRequest(gw.port, '/')).status).toBe(502);
    const [line] = (await waitForLines(file, 1)).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(line?.status).toBe(502);
    expect(line?.error).toBe('ConnectRefused');
    expect(line?.peer).toBe(address);
    expect(line?.upstream_connect_ms).toBeUndefined();
    expect(line?.upstream_ttfb_ms).toBeUndefined();
  });
});

describe('combined access log', () => {
  it("writes nginx's combined format with escaped values", async () => {
    await using origin = await startOrigin();
    const file = tempLog();
    await using gw = await startGateway(yaml(file, 'combined'), origin.address);
    await httpRequest(gw.port, '/p?x=1', {
      headers: { 'user-agent': 'ua "quoted" \\ back', referer: 'http://ref.test/' },
    });
    await httpRequest(gw.port, '/none');
    const lines = await waitForLines(file, 2);
    const time = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`;
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^127\.0\.0\.1 - - ${time} "GET /p\?x=1 HTTP/1\.1" 200 12 "http://ref\.test/" "ua \\x22quoted\\x22 \\x5C back"$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(String.raw`^127\.0\.0\.1 - - ${time} "GET /none HTTP/1\.1" 200 12 "-" "-"$`),
    );
  });
});

describe('reopen on SIGUSR1', () => {
  it('writes to a new file after logrotate moved the old one', async () => {
    await using origin = await startOrigin();
    const file = tempLog();
    await using gw = await startGateway(yaml(file), origin.address);
    await httpRequest(gw.port, '/before');
    await waitForLines(file, 1);
    renameSync(file, `${file}.1`);
    process.kill(process.pid, 'SIGUSR1');
    // Signals arrive through the event loop: wait until the reopen happened.
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        readFileSync(file);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('not reopened');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await httpRequest(gw.port, '/after');
    const after = await waitForLines(file, 1);
    expect(JSON.parse(after[0] as string).path).toBe('/after');
    const before = await waitForLines(`${file}.1`, 1);
    expect(before).toHaveLength(1);
    expect(JSON.parse(before[0] as string).path).toBe('/before');
  });
});

describe('access_log configuration', () => {
  it('is off without a path and refuses bad values naming key and line', async () => {
    await using origin = await startOrigin();
    await using gw = await startGateway('version: 1\n', origin.address);
    expect(gw.accessLog).toBeUndefined();
    expect((await httpRequest(gw.port, '/')).status).toBe(200);
    const bad = startGateway(
      'version: 1\naccess_log:\n  path: /tmp/x.log\n  format: xml\n',
      origin.address,
    );
    await expect(bad).rejects.toSatisfy(
      (e: unknown) =>
        PingoraError.is(e) &&
        /access_log\.format/.test(String(e.context)) &&
        /<inline>:4:/.test(e.message),
    );
    const typo = startGateway('version: 1\naccess_log:\n  pth: /tmp/x.log\n', origin.address);
    await expect(typo).rejects.toSatisfy(
      (e: unknown) => PingoraError.is(e) && /access_log\.pth/.test(e.message),
    );
  });
});
