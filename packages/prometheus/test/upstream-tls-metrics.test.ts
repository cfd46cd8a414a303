/**
 * Upstream TLS metrics from the TLS backend's events over real handshakes:
 * full vs resumed handshakes, failures by error type, contexts built.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import { HttpPeer } from '@pingora-ts/core';
import { TransportConnector } from '@pingora-ts/core/connectors';
import { OpensslUpstreamTls } from '@pingora-ts/tls-openssl';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../tooling/test-tls-cert.ts';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { parseExposition, sampleValue } from './utils/scrape.ts';

const pem = selfSignedCert();

describe('upstream TLS metrics', () => {
  it('counts full and resumed handshakes, failures by type and contexts built', async () => {
    using m = new PrometheusMetrics({ registry: new Registry() });
    const server = createServer({ key: pem.key, cert: pem.cert }, (socket) => {
      socket.on('error', () => {});
      // TLS 1.3 tickets go out with the first server write: send one byte.
      socket.end('x');
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const connector = new TransportConnector({
      tls: new OpensslUpstreamTls({ roots: 'bundled' }),
    });
    try {
      const peer = (ca: string) =>
        new HttpPeer(`127.0.0.1:${port}`, { tls: true, sni: 'localhost', options: { ca } });
      for (let i = 0; i < 2; i++) {
        const conn = await connector.newStream(peer(pem.cert));
        // Read until the server closes, so the session ticket arrives before the next connect.
        await new Promise((r) => conn.stream.socket.on('close', r).resume());
      }
      await expect(connector.newStream(peer(selfSignedCert().cert))).rejects.toMatchObject({
        type: 'InvalidCert',
      });
      const samples = parseExposition(await m.registry.metrics());
      const value = (name: string, labels: Record<string, string> = {}) =>
        sampleValue(samples, `pingora_upstream_tls_${name}`, labels);
      expect(value('handshakes_total', { resumed: 'false' })).toBe(1);
      expect(value('handshakes_total', { resumed: 'true' })).toBe(1);
      expect(value('handshake_failures_total', { type: 'InvalidCert' })).toBe(1);
      expect(value('contexts_created_total')).toBe(2);
    } finally {
      connector.close();
      await new Promise((r) => server.close(r));
    }
  });
});
