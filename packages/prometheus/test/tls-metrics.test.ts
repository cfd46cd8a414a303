/**
 * TLS handshake metrics end to end: a real TLS listener, full and resumed
 * handshakes and a plaintext client on the TLS port must show up in the
 * handshake, resumption, version, failure-by-reason and duration series.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ListeningService, responseHead, serveHttp, tlsSettings } from '@pingora-ts/core';
import { opensslTlsBackend } from '@pingora-ts/tls-openssl';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { sampleValue, scrapeUntil } from './utils/scrape.ts';
import { runServices } from './utils/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'prom-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { certPath: string; keyPath: string } {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
  ]);
  if (r.error !== undefined) throw new Error('this test needs the openssl CLI: install openssl');
  return { certPath, keyPath };
}

/** A TLS connection that sends one request; resolves with the response and the latest session ticket. */
function handshake(
  port: number,
  ca: Buffer,
  session?: Buffer,
): Promise<{ socket: TLSSocket; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca,
      checkServerIdentity: () => undefined,
      ...(session ? { session } : {}),
    });
    let ticket: Buffer | undefined;
    const timer = setTimeout(() => reject(new Error('no response')), 3_000);
    socket.once('error', reject);
    socket.on('session', (s: Buffer) => {
      ticket = s;
    });
    socket.once('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    // TLS 1.3 tickets arrive before the response they precede.
    socket.once('data', () => {
      clearTimeout(timer);
      resolve({ socket, session: ticket });
    });
  });
}

describe('TLS metrics', () => {
  it('counts handshakes, resumptions, versions, failures by reason and durations', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    const { certPath, keyPath } = selfSigned();
    const tls = new ListeningService(
      'tls',
      serveHttp(() => ({ header: responseHead(200), body: 'ok' })),
      { tlsBackend: opensslTlsBackend },
    ).addTlsWithSettings('127.0.0.1:0', tlsSettings(certPath, keyPath, { watchFiles: false }));
    await using run = await runServices(
      tls,
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [tlsPort, metricsPort] = run.ports as [number, number];
    const ca = readFileSync(certPath);
    const first = await handshake(tlsPort, ca);
    first.socket.destroy();
    const second = await handshake(tlsPort, ca, first.session);
    expect(second.socket.isSessionReused()).toBe(true);
    second.socket.destroy();
    await new Promise<void>((resolve) => {
      const s = connect(tlsPort, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n'));
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
    const samples = await scrapeUntil(
      metricsPort,
      (s) => sampleValue(s, 'pingora_tls_handshake_failures_total', { service: 'tls' }) === 1,
    );
    expect(sampleValue(samples, 'pingora_tls_handshakes_total', { service: 'tls' })).toBe(2);
    expect(sampleValue(samples, 'pingora_tls_handshakes_resumed_total', { service: 'tls' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'pingora_tls_handshakes_by_version_total', {
        service: 'tls',
        version: 'TLSv1.3',
      }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'pingora_tls_handshake_failures_total', {
        service: 'tls',
        reason: 'protocol',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'pingora_tls_handshake_duration_seconds_count', { service: 'tls' }),
    ).toBe(2);
    m.unsubscribe();
  });
});
