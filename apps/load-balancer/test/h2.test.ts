/**
 * The load balancer's HTTP/2 keys in-process: `h2c: true` serves h2c
 * prior knowledge (node:http2 and curl) beside HTTP/1.1 on the same
 * listener, `upstream_protocol: h2c` with `max_h2_streams` multiplexes the
 * upstream side, and a bad `upstream_protocol` is a ConfigError naming the key.
 */
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSource, createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { H2Client } from '../../../tooling/test-h2-client.ts';
import { startH2Origin } from '../../../tooling/test-h2-origin.ts';
import { httpRequest } from '../../../tooling/test-http.ts';
import { lbConfigSchema } from '../src/config.ts';
import { addGateway } from '../src/gateway.ts';

it('serves h2c and HTTP/1.1 on one listener and multiplexes an h2c upstream', async () => {
  await using origin = await startH2Origin();
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: [
      'version: 1',
      'load_balancer:',
      '  listen: ["127.0.0.1:0"]',
      `  upstreams: ["127.0.0.1:${origin.port}"]`,
      '  h2c: true',
      '  upstream_protocol: h2c',
      '  max_h2_streams: 100',
      '',
    ].join('\n'),
  });
  const gw = await addGateway(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await gw.proxy.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    await using c = await H2Client.connect(port);
    const all = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.request({ ':path': `/${i}` })),
    );
    all.forEach((r, i) => {
      expect(r.body.toString()).toBe(`GET /${i} `);
    });
    expect(origin.streamSessions.size).toBe(1);
    const h1 = await httpRequest(port, '/h1', { timeoutMs: 5000 });
    expect(h1.body.toString()).toBe('GET /h1 ');
    const curl = await new Promise<string>((resolve, reject) => {
      execFile(
        'curl',
        ['-sS', '--http2-prior-knowledge', '-w', ' %{http_version}', `http://127.0.0.1:${port}/c`],
        { timeout: 10_000 },
        (err, out) =>
          err
            ? reject(
                (err as { code?: unknown }).code === 'ENOENT'
                  ? new Error('curl is missing: apt-get install curl')
                  : err,
              )
            : resolve(out),
      );
    });
    expect(curl).toBe('GET /c  2');
  } finally {
    await run.shutdown();
  }
});

it('refuses an unknown upstream_protocol with its key', () => {
  expect(() =>
    lbConfigSchema.read(
      ConfigSource.parse('version: 1\nload_balancer:\n  upstream_protocol: h3\n', 'conf.yaml'),
      'load_balancer',
    ),
  ).toThrow(/upstream_protocol[\s\S]*expected one of http1, h2c, h2, auto/);
});

it('refuses h2c with upstream_tls (h2c is plaintext)', () => {
  expect(() =>
    lbConfigSchema.read(
      ConfigSource.parse(
        'version: 1\nload_balancer:\n  upstream_protocol: h2c\n  upstream_tls:\n    sni: origin.test\n',
        'conf.yaml',
      ),
      'load_balancer',
    ),
  ).toThrow(/upstream_protocol[\s\S]*h2c is plaintext/);
});

it('serves h2 by ALPN on its TLS listener by default (node:http2 and curl --http2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-h2-'));
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  ]);
  if (r.error !== undefined) throw new Error('this test needs the openssl CLI: install openssl');
  await using origin = await startH2Origin();
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: [
      'version: 1',
      'load_balancer:',
      '  listen: []',
      '  tls_listen: ["127.0.0.1:0"]',
      `  upstreams: ["127.0.0.1:${origin.port}"]`,
      '  upstream_protocol: h2c',
      '  tls:',
      `    cert_path: ${cert}`,
      `    key_path: ${key}`,
      '',
    ].join('\n'),
  });
  const gw = await addGateway(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await gw.proxy.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    const session = h2connect(`https://localhost:${port}`, { ca: readFileSync(cert) });
    session.on('error', () => {});
    const req = session.request({ ':path': '/tls' });
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d;
    });
    await once(req, 'end');
    session.close();
    expect(body).toBe('GET /tls ');
    const curl = await new Promise<string>((resolve, reject) => {
      execFile(
        'curl',
        [
          '-sS',
          '--http2',
          '--cacert',
          cert,
          '-w',
          ' %{http_version}',
          `https://localhost:${port}/c`,
        ],
        { timeout: 10_000 },
        (err, out) =>
          err
            ? reject(
                (err as { code?: unknown }).code === 'ENOENT'
                  ? new Error('curl is missing: apt-get install curl')
                  : err,
              )
            : resolve(out),
      );
    });
    expect(curl).toBe('GET /c  2');
  } finally {
    await run.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
