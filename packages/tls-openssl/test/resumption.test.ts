/**
 * Session resumption over real handshakes: TLS 1.3 and 1.2 tickets, TLS 1.2
 * session ids from the server-side cache (a client without tickets), ticket
 * keys shared by two listeners through one TicketKeys, and rotation ending
 * the old tickets.
 */
import { constants } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { ListeningService, TicketKeys, type TlsSettings } from '@pingora-ts/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import { connectTls, DigestEcho, port, run, stopRunsAfterEach } from './utils/harness.ts';
import { TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const server = pki.leaf(ca, ['localhost']);

async function start(more: Partial<TlsSettings> = {}) {
  const service = new ListeningService('resume', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings('127.0.0.1:0', {
    cert: { certPath: server.certPath, keyPath: server.keyPath },
    watchFiles: false,
    ...more,
  });
  run(service);
  return port((await service.listening)[0]);
}

/** Connects once, waits for the session (TLS 1.3 sends tickets after the handshake). */
async function firstSession(p: number, options: ConnectionOptions): Promise<Buffer> {
  const c = await connectTls(p, { ca: ca.cert, ...options });
  expect(c.digest.resumed).toBe(false);
  const session = await new Promise<Buffer>((resolve, reject) => {
    const now = c.socket.getSession();
    if (options.maxVersion === 'TLSv1.2' && now !== undefined) return resolve(now);
    c.socket.once('session', resolve);
    setTimeout(() => reject(new Error('no session')), 2_000);
  });
  c.socket.destroy();
  return session;
}

async function resumed(p: number, session: Buffer, options: ConnectionOptions): Promise<boolean> {
  const c = await connectTls(p, { ca: ca.cert, session, ...options });
  expect(c.socket.isSessionReused()).toBe(c.digest.resumed);
  c.socket.destroy();
  return c.digest.resumed;
}

describe('TLS session resumption', () => {
  it('resumes a TLS 1.3 session from its ticket', async () => {
    const p = await start();
    const session = await firstSession(p, {});
    expect(await resumed(p, session, {})).toBe(true);
  });

  it('resumes a TLS 1.2 session from its ticket', async () => {
    const p = await start({ sessionCacheSize: 0 });
    const opts = { maxVersion: 'TLSv1.2' } as const;
    const session = await firstSession(p, opts);
    expect(await resumed(p, session, opts)).toBe(true);
  });

  it('resumes a TLS 1.2 session id from the server-side cache for clients without tickets', async () => {
    const opts = { maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET } as const;
    const p = await start({ sessionCacheSize: 100 });
    const session = await firstSession(p, opts);
    expect(await resumed(p, session, opts)).toBe(true);
    // With the cache off, the same client gets a full handshake.
    const noCache = await start({ sessionCacheSize: 0 });
    const again = await firstSession(noCache, opts);
    expect(await resumed(noCache, again, opts)).toBe(false);
  });

  it('keeps no session cache by default while tickets are on, and one when they are off', async () => {
    const opts = { maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET } as const;
    // Tickets on (the default): a client refusing tickets gets full handshakes.
    const withTickets = await start();
    const s1 = await firstSession(withTickets, opts);
    expect(await resumed(withTickets, s1, opts)).toBe(false);
    // A TLS 1.3 client resumes from its ticket all the same.
    const s13 = await firstSession(withTickets, {});
    expect(await resumed(withTickets, s13, {})).toBe(true);
    // Tickets off: the cache is on by default, the one way to resume.
    const noTickets = await start({ sessionTickets: false });
    const s2 = await firstSession(noTickets, opts);
    expect(await resumed(noTickets, s2, opts)).toBe(true);
  });

  it('issues no tickets with sessionTickets false; TLS 1.2 then resumes through the cache', async () => {
    const opts = { maxVersion: 'TLSv1.2' } as const;
    const withTickets = await connectTls(await start(), { ca: ca.cert, ...opts });
    expect(withTickets.socket.getTLSTicket()).toBeInstanceOf(Buffer);
    withTickets.socket.destroy();
    const p = await start({ sessionTickets: false });
    const c = await connectTls(p, { ca: ca.cert, ...opts });
    expect(c.socket.getTLSTicket()).toBeUndefined();
    c.socket.destroy();
    const session = await firstSession(p, opts);
    expect(await resumed(p, session, opts)).toBe(true);
  });

  it('shares tickets between listeners with one TicketKeys, and rotation ends the old ones', async () => {
    const keys = new TicketKeys();
    const a = await start({ ticketKeys: keys, sessionCacheSize: 0 });
    const b = await start({ ticketKeys: keys, sessionCacheSize: 0 });
    const alone = await start({ sessionCacheSize: 0 });
    const session = await firstSession(a, {});
    expect(await resumed(b, session, {})).toBe(true);
    expect(await resumed(alone, session, {})).toBe(false);
    keys.rotate();
    expect(await resumed(a, session, {})).toBe(false);
    const fresh = await firstSession(a, {});
    expect(await resumed(b, fresh, {})).toBe(true);
  });

  it('TicketKeys takes 48-byte keys only and rotates on a schedule', () => {
    expect(() => new TicketKeys(Buffer.alloc(47))).toThrow(/48 bytes/);
    const keys = new TicketKeys(Buffer.alloc(48, 1));
    expect(keys.current()).toEqual(Buffer.alloc(48, 1));
    const seen: Buffer[] = [];
    keys.onRotate((k) => seen.push(k));
    try {
      vi.useFakeTimers();
      keys.rotateEvery(60_000);
      vi.advanceTimersByTime(180_000);
      expect(seen).toHaveLength(3);
      expect(seen[2]).toEqual(keys.current());
      keys.stop();
      vi.advanceTimersByTime(180_000);
      expect(seen).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
    expect(() => keys.rotateEvery(10)).toThrow(/at least 1000/);
  });
});
