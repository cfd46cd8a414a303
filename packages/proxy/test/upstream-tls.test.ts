import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HttpPeer,
  type HttpServer,
  parseServerConf,
  type UpstreamTlsDigest,
} from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../tooling/test-tls-cert.ts';
import type { HttpProxyOptions } from '../src/http-proxy.ts';
import { httpProxyService } from '../src/http-proxy-service.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { serveApp, startProxy } from './utils/proxy-harness.ts';

const pem = selfSignedCert();

async function httpsOrigin(cert: { key: string; cert: string }) {
  const server = createServer(cert, (_req, res) => res.end('secure'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('TLS upstreams through HttpProxy', () => {
  it('dials TLS peers with the default connector and shows the digest to connectedToUpstream', async () => {
    await using origin = await httpsOrigin(pem);
    const seen: (UpstreamTlsDigest | undefined)[] = [];
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () =>
        new HttpPeer(`127.0.0.1:${origin.port}`, {
          tls: true,
          sni: 'localhost',
          options: { ca: pem.cert },
        }),
      connectedToUpstream: (s) => {
        seen.push(s.upstreamTls);
      },
    };
    // No connector passed: HttpProxy's default must speak TLS without extra wiring.
    await using proxy = await startProxy(inner, {
      connector: undefined,
    } as unknown as Partial<HttpProxyOptions>);
    const res = await request(proxy.port, '/');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('secure');
    expect(seen[0]).toMatchObject({ version: 'TLSv1.3', sni: 'localhost', alpn: 'http/1.1' });
    expect(seen[0]?.peerCert?.subject).toBe('CN=localhost');
  });

  it('answers 502 when the upstream certificate does not verify', async () => {
    await using origin = await httpsOrigin(pem);
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      // No CA: the test certificate is not in the system store.
      upstreamPeer: () => new HttpPeer(`127.0.0.1:${origin.port}`, { tls: true, sni: 'localhost' }),
    };
    await using proxy = await startProxy(inner, {
      connector: undefined,
    } as unknown as Partial<HttpProxyOptions>);
    const res = await request(proxy.port, '/');
    expect(res.status).toBe(502);
    expect(proxy.errors[0]?.err).toMatch(/InvalidCert/);
  });

  it('httpProxyService verifies upstreams against the server conf ca_file', async () => {
    await using origin = await httpsOrigin(pem);
    const dir = mkdtempSync(join(tmpdir(), 'proxy-ca-file-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, pem.cert);
      const inner: ProxyHttp<null> = {
        newCtx: () => null,
        // No CA on the peer: only ca_file makes the self-signed origin trusted.
        upstreamPeer: () =>
          new HttpPeer(`127.0.0.1:${origin.port}`, { tls: true, sni: 'localhost' }),
      };
      const withCa = httpProxyService(
        parseServerConf(`version: 1\nca_file: ${caFile}\n`, 't.yaml'),
        inner,
      );
      await using served = await serveApp(withCa.app as HttpServer);
      expect((await request(served.port, '/')).status).toBe(200);
      const without = httpProxyService(parseServerConf('version: 1\n', 't.yaml'), inner);
      await using plain = await serveApp(without.app as HttpServer);
      expect((await request(plain.port, '/')).status).toBe(502);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
