/**
 * The handshake step of a TLS listener: TLS 1.2 minimum (TLS 1.1 refused),
 * the ConnectionFilter deciding before any handshake byte, the absolute
 * handshake timeout (silent and trickling clients), non-TLS bytes, the
 * diagnostics events by reason, and no socket left behind.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import { ListeningService, type TlsSettings } from '@pingora-ts/core';
import {
  type TlsHandshakeEvent,
  type TlsHandshakeFailedEvent,
  tlsHandshakeChannel,
  tlsHandshakeFailedChannel,
} from '@pingora-ts/core/diagnostics';
import { TlsFailureReason } from '@pingora-ts/core/tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import {
  connectTls,
  DigestEcho,
  handshakeOutcome,
  port,
  run,
  stopAll,
  stopRunsAfterEach,
} from './utils/harness.ts';
import { TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const server = pki.leaf(ca, ['localhost']);

const ok: TlsHandshakeEvent[] = [];
const failed: TlsHandshakeFailedEvent[] = [];
const onOk = (e: unknown) => ok.push(e as TlsHandshakeEvent);
const onFailed = (e: unknown) => failed.push(e as TlsHandshakeFailedEvent);
subscribe(tlsHandshakeChannel.name, onOk);
subscribe(tlsHandshakeFailedChannel.name, onFailed);
afterAll(() => {
  unsubscribe(tlsHandshakeChannel.name, onOk);
  unsubscribe(tlsHandshakeFailedChannel.name, onFailed);
});
afterEach(() => {
  ok.length = 0;
  failed.length = 0;
});

async function start(more: Partial<TlsSettings> = {}, filter?: (peer: unknown) => boolean) {
  const service = new ListeningService('hs', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
    ...(filter === undefined ? {} : { connectionFilter: { shouldAccept: filter } }),
  }).addTlsWithSettings('127.0.0.1:0', {
    cert: { certPath: server.certPath, keyPath: server.keyPath },
    watchFiles: false,
    ...more,
  });
  run(service);
  return { service, p: port((await service.listening)[0]) };
}

/** A raw TCP client: what it received and how long until the server closed. */
function rawClient(
  p: number,
  send: (s: Socket) => void,
  ms = 5_000,
): Promise<{ bytes: number; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const s = connect(p, '127.0.0.1');
    let bytes = 0;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('server did not close'));
    }, ms);
    s.on('data', (d) => {
      bytes += d.length;
    });
    s.on('error', () => {});
    s.on('connect', () => send(s));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, closedAfterMs: performance.now() - started });
    });
  });
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 10)
    await new Promise((r) => setTimeout(r, 10));
}

describe('TLS handshake step', () => {
  it('publishes a handshake event with version, ALPN, resumption and duration', async () => {
    const { p } = await start();
    const c = await connectTls(p, { ca: ca.cert });
    c.socket.destroy();
    await until(() => ok.length > 0);
    expect(ok[0]).toMatchObject({
      service: 'hs',
      version: 'TLSv1.3',
      resumed: false,
      alpn: undefined,
    });
    expect(ok[0]?.durationMs).toBeGreaterThan(0);
  });

  it('refuses TLS 1.1 (TLS 1.2 is the minimum) and TLS 1.2 when the minimum is 1.3', async () => {
    const { p } = await start();
    const tls11 = {
      ca: ca.cert,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    } as const;
    expect(await handshakeOutcome(p, tls11)).toMatch(
      /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|ECONNRESET/,
    );
    await until(() => failed.length > 0);
    expect(failed[0]?.reason).toBe(TlsFailureReason.Version);
    const strict = await start({ minVersion: 'TLSv1.3' });
    expect(await handshakeOutcome(strict.p, { ca: ca.cert, maxVersion: 'TLSv1.2' })).toBeDefined();
    expect(await handshakeOutcome(strict.p, { ca: ca.cert })).toBeUndefined();
  });

  it('prefers AES-128-GCM by default (Mozilla intermediate) and keeps a configured cipher order', async () => {
    // A client listing AES-256 first (Node's and OpenSSL's own order): the server's order decides.
    const client = {
      ca: ca.cert,
      ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
    };
    const { p } = await start();
    const c = await connectTls(p, client);
    expect(c.digest.cipher).toBe('TLS_AES_128_GCM_SHA256');
    c.socket.destroy();
    const tls12 = await connectTls(p, { ca: ca.cert, maxVersion: 'TLSv1.2' });
    expect(tls12.digest.cipher).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    tls12.socket.destroy();
    const own = await start({
      ciphers: 'TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384',
    });
    const d = await connectTls(own.p, client);
    expect(d.digest.cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
    d.socket.destroy();
  });

  it('runs the ConnectionFilter first: a denied client gets no handshake byte', async () => {
    const { p } = await start({}, () => false);
    const result = await rawClient(p, (s) => s.write(Buffer.from('16030100', 'hex')));
    expect(result.bytes).toBe(0);
    expect(await handshakeOutcome(p, { ca: ca.cert })).toBeDefined();
    expect(ok).toHaveLength(0);
    expect(failed).toHaveLength(0);
  });

  it('drops a silent client and a trickling one at the handshake timeout', async () => {
    const { service, p } = await start({ handshakeTimeoutMs: 300 });
    const silent = await rawClient(p, () => {});
    expect(silent.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(silent.closedAfterMs).toBeLessThan(2_000);
    // One byte of a ClientHello every 50 ms: Node's idle timer alone would never fire.
    const hello = Buffer.from('160301020001', 'hex');
    let timer: NodeJS.Timeout | undefined;
    const trickle = await rawClient(p, (s) => {
      let i = 0;
      timer = setInterval(() => {
        if (i < hello.length && !s.destroyed) s.write(hello.subarray(i, ++i));
        else if (!s.destroyed) s.write(Buffer.from([0]));
      }, 50);
    });
    clearInterval(timer);
    expect(trickle.closedAfterMs).toBeLessThan(2_000);
    await until(() => failed.length >= 2);
    expect(failed.map((f) => f.reason)).toEqual([
      TlsFailureReason.Timeout,
      TlsFailureReason.Timeout,
    ]);
    expect(service.connectionsInFlight).toBe(0);
  });

  it('classifies plaintext HTTP on a TLS port and clients that hang up, leaving no socket behind', async () => {
    const { service, p } = await start();
    await rawClient(p, (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await rawClient(p, (s) => s.end(Buffer.from('1603010200010001fc0303', 'hex')));
    await until(() => failed.length >= 2);
    expect(failed.map((f) => f.reason)).toEqual([
      TlsFailureReason.Protocol,
      TlsFailureReason.ClientClosed,
    ]);
    expect(service.connectionsInFlight).toBe(0);
    // The listener still serves.
    expect(await handshakeOutcome(p, { ca: ca.cert })).toBeUndefined();
  });

  it('drops handshakes in flight when the service shuts down', async () => {
    const { p } = await start({ handshakeTimeoutMs: 60_000 });
    const pending = rawClient(p, () => {}, 10_000);
    await new Promise((r) => setTimeout(r, 50));
    await stopAll();
    expect((await pending).closedAfterMs).toBeLessThan(5_000);
  });
  it('refuses connections past maxHandshakes at once, and serves again when they clear', async () => {
    const { service, p } = await start({ maxHandshakes: 2, handshakeTimeoutMs: 400 });
    const silent = [rawClient(p, () => {}), rawClient(p, () => {})];
    await until(() => service.tlsHandshakesInFlight === 2);
    const third = await rawClient(p, () => {});
    expect(third.closedAfterMs).toBeLessThan(300);
    await until(() => failed.some((f) => f.reason === TlsFailureReason.Overload));
    expect(failed.filter((f) => f.reason === TlsFailureReason.Overload)).toHaveLength(1);
    await Promise.all(silent);
    expect(service.tlsHandshakesInFlight).toBe(0);
    expect(await handshakeOutcome(p, { ca: ca.cert })).toBeUndefined();
  });
});
