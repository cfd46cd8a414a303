/**
 * A TLS listener under hostile input: random bytes, truncated and garbled
 * ClientHellos and abrupt closes, on listeners with and without the ALPN
 * peek. Nothing may crash, every socket is released, and the listener keeps
 * serving real clients.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { ListenerAlpn, ListeningService } from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import { DigestEcho, handshakeOutcome, port, run, stopRunsAfterEach } from './utils/harness.ts';
import { TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const server = pki.leaf(ca, ['localhost']);

/** Sends `bytes`, then ends or resets; resolves when the server side closed. */
function hostile(p: number, bytes: Buffer, how: 'end' | 'reset' | 'wait'): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(p, '127.0.0.1');
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('connect', () => {
      s.write(bytes);
      if (how === 'end') s.end();
      else if (how === 'reset') setTimeout(() => s.resetAndDestroy(), 5);
    });
  });
}

describe('TLS listener robustness', () => {
  for (const alpn of [undefined, ListenerAlpn.H2H1]) {
    it(`survives garbage and hang-ups and releases every socket (alpn ${alpn ?? 'off'})`, async () => {
      const service = new ListeningService('fuzz', new DigestEcho(), {
        tlsBackend: opensslTlsBackend,
      }).addTlsWithSettings('127.0.0.1:0', {
        cert: { certPath: server.certPath, keyPath: server.keyPath },
        watchFiles: false,
        handshakeTimeoutMs: 500,
        ...(alpn === undefined ? {} : { alpn }),
      });
      run(service);
      const p = port((await service.listening)[0]);
      const hello = Buffer.from('160301020001fc0303', 'hex');
      const inputs: Buffer[] = [];
      for (let i = 0; i < 24; i++) {
        const noise = randomBytes(1 + ((i * 37) % 700));
        inputs.push(
          i % 3 === 0
            ? Buffer.concat([hello, noise])
            : i % 3 === 1
              ? noise
              : hello.subarray(0, i % 9),
        );
      }
      const modes = ['end', 'reset', 'wait'] as const;
      await Promise.all(
        inputs.map((b, i) => hostile(p, b, modes[i % 3] as (typeof modes)[number])),
      );
      for (
        let i = 0;
        i < 100 && service.tlsHandshakesInFlight + service.connectionsInFlight > 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(service.tlsHandshakesInFlight).toBe(0);
      expect(service.connectionsInFlight).toBe(0);
      expect(await handshakeOutcome(p, { ca: ca.cert })).toBeUndefined();
    });
  }
});
