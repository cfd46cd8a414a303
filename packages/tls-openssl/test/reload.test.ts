/**
 * Hot reload: a new certificate is served after `reload()` (what SIGHUP
 * calls) and after the files change on disk, while a connection opened
 * before keeps working; a broken new file keeps the old certificate; and
 * every option (ciphers, versions, client CA, ticket keys) survives the
 * reload, which node:tls's setSecureContext would otherwise reset.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ClientCertMode, ListeningService, type TlsSettings } from '@pingora-ts/core';
import { ErrorType } from '@pingora-ts/error';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import {
  connectTls,
  DigestEcho,
  echo,
  handshakeOutcome,
  port,
  run,
  stopRunsAfterEach,
} from './utils/harness.ts';
import { type CertFiles, TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const first = pki.leaf(ca, ['localhost', 'a.example.com']);
const second = pki.leaf(ca, ['localhost', 'a.example.com']);
const client = pki.leaf(ca, [], { client: true, cn: 'client-1' });
let n = 0;

/** Copies `cert` to fresh paths the listener will read (and the test will overwrite). */
function livePaths(cert: CertFiles): { certPath: string; keyPath: string } {
  const certPath = join(pki.dir, `live${n}.pem`);
  const keyPath = join(pki.dir, `live${n++}.key`);
  copyFileSync(cert.certPath, certPath);
  copyFileSync(cert.keyPath, keyPath);
  return { certPath, keyPath };
}

function swap(paths: { certPath: string; keyPath: string }, to: CertFiles): void {
  copyFileSync(to.keyPath, paths.keyPath);
  copyFileSync(to.certPath, paths.certPath);
}

async function start(settings: TlsSettings) {
  const service = new ListeningService('tls', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings('127.0.0.1:0', settings);
  const r = run(service);
  const [addr] = await service.listening;
  return { r, p: port(addr) };
}

const serialOf = (s: TLSSocket) => s.getPeerX509Certificate()?.serialNumber.toUpperCase();

describe('TLS certificate reload', () => {
  it('serves the new certificate after reload() while an open connection keeps working', async () => {
    const live = livePaths(first);
    const { r, p } = await start({ cert: live, watchFiles: false });
    const old = await connectTls(p, { ca: ca.cert, servername: 'localhost' });
    expect(serialOf(old.socket)).toBe(first.serial);
    swap(live, second);
    expect(await r.reload()).toEqual({ reloaded: 1, failed: 0 });
    const fresh = await connectTls(p, { ca: ca.cert, servername: 'localhost' });
    expect(serialOf(fresh.socket)).toBe(second.serial);
    expect(await echo(old.socket, 'still here')).toBe('still here');
    old.socket.destroy();
    fresh.socket.destroy();
  });

  it('reloads by itself when the files change on disk', async () => {
    const live = livePaths(first);
    const { p } = await start({ cert: live, watchDebounceMs: 20 });
    const old = await connectTls(p, { ca: ca.cert });
    expect(serialOf(old.socket)).toBe(first.serial);
    swap(live, second);
    let served: string | undefined;
    for (let i = 0; i < 60 && served !== second.serial; i++) {
      await new Promise((res) => setTimeout(res, 50));
      const c = await connectTls(p, { ca: ca.cert });
      served = serialOf(c.socket);
      c.socket.destroy();
    }
    expect(served).toBe(second.serial);
    expect(await echo(old.socket, 'ping')).toBe('ping');
    old.socket.destroy();
  });

  it('keeps the old certificate when the new files do not load', async () => {
    const live = livePaths(first);
    const service = new ListeningService('tls', new DigestEcho(), {
      tlsBackend: opensslTlsBackend,
    }).addTlsWithSettings('127.0.0.1:0', {
      cert: live,
      watchFiles: false,
    });
    const r = run(service);
    const p = port((await service.listening)[0]);
    writeFileSync(live.certPath, 'not a certificate');
    await expect(service.reload()).rejects.toMatchObject({ type: ErrorType.ConfigError });
    expect(await r.reload()).toEqual({ reloaded: 0, failed: 1 });
    const c = await connectTls(p, { ca: ca.cert });
    expect(serialOf(c.socket)).toBe(first.serial);
    c.socket.destroy();
    // A key that does not match its certificate is caught too.
    copyFileSync(second.certPath, live.certPath);
    await expect(service.reload()).rejects.toThrow(/TLS cert: .*key values mismatch/);
    const again = await connectTls(p, { ca: ca.cert });
    expect(serialOf(again.socket)).toBe(first.serial);
    again.socket.destroy();
  });

  it('keeps ciphers, versions, client CA and ticket keys across a reload (setSecureContext resets them)', async () => {
    const live = livePaths(first);
    const liveSni = livePaths(first);
    const { r, p } = await start({
      cert: live,
      sni: { 'a.example.com': liveSni },
      watchFiles: false,
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      clientCert: ClientCertMode.Required,
      clientCa: { path: ca.certPath },
      // Tickets only: a resumption after the reload proves the ticket key survived.
      sessionCacheSize: 0,
    });
    const good = { ca: ca.cert, cert: client.cert, key: client.key };
    const before = new Map<string, Buffer | undefined>();
    for (const servername of [undefined, 'a.example.com']) {
      const sni = servername === undefined ? {} : { servername };
      const c = await connectTls(p, { ...good, ...sni });
      expect(c.digest.cipher).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      before.set(String(servername), c.socket.getSession());
      c.socket.destroy();
    }
    swap(live, second);
    swap(liveSni, second);
    expect(await r.reload()).toEqual({ reloaded: 1, failed: 0 });
    for (const servername of [undefined, 'a.example.com']) {
      const sni = servername === undefined ? {} : { servername };
      // The cipher list and the version cap still hold.
      const c = await connectTls(p, { ...good, ...sni, session: before.get(String(servername)) });
      expect(c.digest).toMatchObject({
        version: 'TLSv1.2',
        cipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
        resumed: true,
      });
      expect(c.digest.clientCert?.commonName).toBe('client-1');
      c.socket.destroy();
      const full = await connectTls(p, { ...good, ...sni });
      expect(serialOf(full.socket)).toBe(second.serial);
      expect(full.digest.resumed).toBe(false);
      full.socket.destroy();
      expect(
        await handshakeOutcome(p, {
          ...good,
          ...sni,
          ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
          maxVersion: 'TLSv1.2',
        }),
      ).toMatch(/HANDSHAKE_FAILURE|ECONNRESET|CLOSED/);
      // The client CA is still required.
      expect(await handshakeOutcome(p, { ca: ca.cert, ...sni })).toBeDefined();
    }
  });
});
