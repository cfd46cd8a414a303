/**
 * A TLS-terminating proxy end to end: curl --http1.1 --cacert against a
 * listener added with addTls, through HttpProxy to a plaintext origin; the
 * TLS digest (version, SNI, client certificate) readable in the request
 * phases and the logging phase.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ClientCertMode,
  createServerLogger,
  DEFAULT_SERVER_CONF,
  HttpPeer,
  Server,
  type TlsDigest,
  tlsSettings,
} from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { httpProxyService } from '../src/http-proxy-service.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { startOrigin } from './utils/origin.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'proxy-tls-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir });
  if (r.error !== undefined) throw new Error('this test needs the openssl CLI: install openssl');
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A CA, a localhost server certificate and a client certificate, all in `dir`. */
function makePki(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test CA',
  );
  for (const [name, subj, ext] of [
    ['server', '/CN=localhost', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', '/CN=curl-client/O=Acme', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '0x2A',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    );
  }
}

describe('TLS listener through HttpProxy', () => {
  it('serves curl --http1.1 over TLS to a plaintext origin, with the digest in every phase', async () => {
    if (spawnSync('curl', ['--version']).status !== 0)
      throw new Error('this test needs curl: install curl');
    makePki();
    await using origin = await startOrigin();
    const seen: Array<{ phase: string; tls: TlsDigest | undefined }> = [];
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: (session) => {
        seen.push({ phase: 'upstreamPeer', tls: session.digest.tls });
        return new HttpPeer(origin.address);
      },
      upstreamRequestFilter: (session, req) => {
        const tls = session.digest.tls;
        req.insertHeader(
          'x-tls',
          `${tls?.version} ${tls?.sni} ${tls?.clientCert?.commonName ?? '-'}`,
        );
      },
      logging: (session) => {
        seen.push({ phase: 'logging', tls: session.digest.tls });
      },
    };
    const server = new Server({
      logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    });
    const service = httpProxyService(server.configuration, inner).addTlsWithSettings(
      '127.0.0.1:0',
      tlsSettings(join(dir, 'server.pem'), join(dir, 'server.key'), {
        clientCert: ClientCertMode.Optional,
        clientCa: { path: join(dir, 'ca.pem') },
        watchFiles: false,
      }),
    );
    server.addService(service);
    await using running = server.run();
    const [addr] = await service.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    const curl = (...extra: string[]) =>
      run('curl', [
        '-sS',
        '--http1.1',
        '--cacert',
        join(dir, 'ca.pem'),
        '--resolve',
        `localhost:${port}:127.0.0.1`,
        '-D',
        '-',
        ...extra,
        `https://localhost:${port}/hello`,
      ]);
    // Large bodies forwarded straight from the origin's reads (direct writes) are encrypted too.
    const big = await run('curl', [
      '-sS',
      '--http1.1',
      '--cacert',
      join(dir, 'ca.pem'),
      '--resolve',
      `localhost:${port}:127.0.0.1`,
      '-o',
      join(dir, 'big.bin'),
      '-w',
      '%{http_code} %{size_download}',
      `https://localhost:${port}/size/262144?cl`,
    ]);
    expect(big.stdout).toBe('200 262144');
    origin.requests.length = 0;
    seen.length = 0;
    const plain = await curl();
    expect(plain.stdout).toMatch(/^HTTP\/1.1 200/);
    expect(plain.stdout).toContain('hello from origin');
    const withCert = await curl(
      '--cert',
      join(dir, 'client.pem'),
      '--key',
      join(dir, 'client.key'),
    );
    expect(withCert.stdout).toMatch(/^HTTP\/1.1 200/);
    const upstream = origin.requests.map((r) => {
      const i = r.rawHeaders.findIndex((h) => h.toLowerCase() === 'x-tls');
      return r.rawHeaders[i + 1];
    });
    expect(upstream).toEqual(['TLSv1.3 localhost -', 'TLSv1.3 localhost curl-client']);
    const logged = seen.filter((s) => s.phase === 'logging').map((s) => s.tls);
    expect(logged).toHaveLength(2);
    expect(logged[1]?.clientCert).toMatchObject({
      commonName: 'curl-client',
      organization: 'Acme',
      serial: '2A',
    });
    expect(seen.every((s) => s.tls?.version === 'TLSv1.3')).toBe(true);
    // A plaintext request on the TLS port is not served.
    await expect(
      run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/`]),
    ).rejects.toThrow();
    void running;
  });
});
