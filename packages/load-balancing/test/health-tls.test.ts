import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { OpensslUpstreamTls } from '@pingora-ts/tls-openssl';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../tooling/test-tls-cert.ts';
import { Backend, HttpHealthCheck, TcpHealthCheck } from '../src/index.ts';

let pem: { key: string; cert: string };
let server: Server | undefined;

beforeAll(() => {
  pem = selfSignedCert('svc.test');
});

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function tlsUpstream(response: string): Promise<Backend> {
  server = createServer({ key: pem.key, cert: pem.cert }, (socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.end(response);
    });
  });
  server.on('tlsClientError', () => {});
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return new Backend(`127.0.0.1:${(s.address() as AddressInfo).port}`);
}

describe('TLS health checks', () => {
  it('TCP+TLS passes with a trusted certificate for the name, fails as InvalidCert otherwise', async () => {
    const backend = await tlsUpstream('');
    await new TcpHealthCheck({ tls: { servername: 'svc.test', ca: pem.cert } }).check(backend);
    await expect(
      new TcpHealthCheck({ tls: { servername: 'svc.test' } }).check(backend),
    ).rejects.toMatchObject({
      type: 'InvalidCert',
    });
    await expect(
      new TcpHealthCheck({ tls: { servername: 'other.test', ca: pem.cert } }).check(backend),
    ).rejects.toMatchObject({
      type: 'InvalidCert',
    });
  });

  it('TCP+TLS honours alternative CN, hostname and certificate verification settings', async () => {
    const backend = await tlsUpstream('');
    const base = { servername: 'other.test', ca: pem.cert };
    await new TcpHealthCheck({ tls: { ...base, alternativeCn: 'svc.test' } }).check(backend);
    await new TcpHealthCheck({ tls: { ...base, verifyHostname: false } }).check(backend);
    await new TcpHealthCheck({
      tls: { servername: 'svc.test', rejectUnauthorized: false },
    }).check(backend);
    // No SNI: the certificate must name the IP address (it does).
    await new TcpHealthCheck({ tls: { servername: '', ca: pem.cert } }).check(backend);
  });

  it('HTTPS checks share one TLS context per settings across checks', async () => {
    const backend = await tlsUpstream('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const tls = new OpensslUpstreamTls({ roots: 'bundled' });
    const check = new HttpHealthCheck({
      host: 'svc.test',
      tls: { servername: 'svc.test', ca: pem.cert, backend: tls },
    });
    for (let i = 0; i < 5; i++) await check.check(backend);
    expect(tls.contextsCreated).toBe(1);
    expect(tls.stats.handshakes).toBe(5);
  });

  it('HTTPS check is down on a bad status and on an untrusted certificate', async () => {
    const backend = await tlsUpstream('HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n');
    await expect(
      new HttpHealthCheck({
        host: 'svc.test',
        tls: { servername: 'svc.test', ca: pem.cert },
      }).check(backend),
    ).rejects.toMatchObject({ type: 'HTTPStatus' });
    const err = await new HttpHealthCheck({
      host: 'svc.test',
      tls: { servername: 'svc.test', ca: selfSignedCert('svc.test').cert },
    })
      .check(backend)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'InvalidCert', source: 'Upstream' });
    expect(String(err)).toContain(`health check connect to ${backend.addr}`);
  });

  it('HTTPS check reads the status and body over TLS', async () => {
    const backend = await tlsUpstream('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy');
    await new HttpHealthCheck({
      host: 'svc.test',
      tls: { servername: 'svc.test', ca: pem.cert },
      bodyCheck: 'healthy',
    }).check(backend);
    await expect(
      new HttpHealthCheck({ host: 'svc.test', tls: true }).check(backend),
    ).rejects.toMatchObject({
      source: 'Upstream',
    });
  });
});
