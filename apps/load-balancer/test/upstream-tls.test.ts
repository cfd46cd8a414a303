/**
 * The sample's `upstream_tls` section end to end: the gateway verifies the
 * upstreams' certificate against ca_path and the SNI (or alternative_cn),
 * presents its client certificate to an origin that requires one, and runs
 * the HTTP health check over TLS with the same settings; bad settings are
 * refused with their key.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, expect, it } from 'vitest';
import { makeCerts } from '../../../tooling/test-tls-cert.ts';
import { closeClients, eventually, get, startGateway } from './utils/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'lb-upstream-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => closeClients());

/** A CA, a server certificate for origin.test signed by it, and a client certificate, as files. */
function makeCertFiles(): Record<'ca' | 'cert' | 'key' | 'clientCert' | 'clientKey', string> {
  const c = makeCerts('ec', 'origin.test');
  const files = {
    ca: [join(dir, 'ca.crt'), c.ca],
    cert: [join(dir, 'server.crt'), c.serverCert],
    key: [join(dir, 'server.key'), c.serverKey],
    clientCert: [join(dir, 'client.crt'), c.clientCert],
    clientKey: [join(dir, 'client.key'), c.clientKey],
  } as const;
  for (const [path, pem] of Object.values(files)) writeFileSync(path, pem);
  return {
    ca: files.ca[0],
    cert: files.cert[0],
    key: files.key[0],
    clientCert: files.clientCert[0],
    clientKey: files.clientKey[0],
  };
}

const paths = makeCertFiles();

async function tlsOrigin(
  requireClientCert: boolean,
): Promise<{ server: Server; addr: string; clients: string[] }> {
  const clients: string[] = [];
  const server = createServer(
    {
      cert: readFileSync(paths.cert),
      key: readFileSync(paths.key),
      ca: readFileSync(paths.ca),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    (req, res) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
      clients.push(typeof cn === 'string' ? cn : '-');
      res.writeHead(req.url === '/health' ? 204 : 200, { 'X-Origin': 'tls' });
      res.end();
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, clients };
}

function section(addr: string, tls: string[]): string {
  return [
    `  upstreams: ["${addr}"]`,
    '  health_check: { type: http, path: /health, expected_status: 204, interval_ms: 100 }',
    '  upstream_tls:',
    ...tls.map((l) => `    ${l}`),
    '',
  ].join('\n');
}

it('proxies to a TLS upstream verified by ca_path and SNI, health-checked over TLS, with mTLS', async () => {
  const origin = await tlsOrigin(true);
  try {
    await using gw = await startGateway(
      section(origin.addr, [
        'sni: origin.test',
        `ca_path: ${paths.ca}`,
        `client_cert_path: ${paths.clientCert}`,
        `client_key_path: ${paths.clientKey}`,
      ]),
    );
    expect(await get(gw.port)).toEqual({ status: 200, origin: 'tls' });
    // The health check reached /health over TLS with the client certificate too.
    expect(await eventually(() => origin.clients.length >= 2)).toBe(true);
    expect(new Set(origin.clients)).toEqual(new Set(['pingora-ts client']));
  } finally {
    origin.server.closeAllConnections();
    origin.server.close();
  }
});

it('refuses an upstream whose certificate names neither the SNI nor alternative_cn', async () => {
  const origin = await tlsOrigin(false);
  try {
    await using wrong = await startGateway(
      section(origin.addr, ['sni: other.test', `ca_path: ${paths.ca}`]),
    );
    expect((await get(wrong.port)).status).toBe(502);
    await using alt = await startGateway(
      section(origin.addr, [
        'sni: other.test',
        'alternative_cn: origin.test',
        `ca_path: ${paths.ca}`,
      ]),
    );
    expect(await get(alt.port)).toEqual({ status: 200, origin: 'tls' });
  } finally {
    origin.server.closeAllConnections();
    origin.server.close();
  }
});

it('refuses bad upstream_tls settings with the key', async () => {
  await expect(
    startGateway(section('127.0.0.1:1', [`ca_path: ${join(dir, 'missing.pem')}`])),
  ).rejects.toThrow(/upstream_tls\.ca_path: cannot read/);
  await expect(
    startGateway(section('127.0.0.1:1', [`client_cert_path: ${paths.clientCert}`])),
  ).rejects.toThrow(
    /upstream_tls\.client_cert_path: give client_cert_path and client_key_path together/,
  );
  await expect(startGateway(section('127.0.0.1:1', ['verify: false']))).rejects.toThrow(
    /upstream_tls\.verify: unknown key/,
  );
});
