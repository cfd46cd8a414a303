import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Backend, HttpHealthCheck, TcpHealthCheck } from '../src/index.ts';
import { selfSignedCert } from './utils/tls-cert.ts';

let pem: { key: string; cert: string };
let server: Server | undefined;

beforeAll(() => {
  pem = selfSignedCert();
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
