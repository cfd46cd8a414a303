/**
 * FileStorage: safe permissions, atomic key+chain files, name checks, and
 * the O_EXCL order lock (held, released, broken when stale); and the
 * manager leaving a name alone while another process holds its lock.
 */
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AcmeManager,
  type AcmeOrderEvent,
  type AcmeScheduledEvent,
  checkName,
  FileStorage,
} from '../src/index.ts';
import { FakeClock } from './utils/fake-clock.ts';
import { quietLogger, record } from './utils/servers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'pingora-ts-acme-store-'));
  dirs.push(d);
  return join(d, 'acme');
}
const mode = (p: string) => statSync(p).mode & 0o777;

describe('FileStorage', () => {
  it('stores the account key and certificates with 0600 files in 0700 directories', async () => {
    const root = tempRoot();
    const s = new FileStorage(root);
    expect(await s.loadAccountKey()).toBeUndefined();
    expect(await s.loadCertificate('a.test')).toBeUndefined();
    await s.saveAccountKey('-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n');
    const key = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----';
    const cert = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n';
    await s.saveCertificate('A.Test', { key, cert });
    expect(await s.loadCertificate('a.test')).toEqual({ key: `${key}\n`, cert });
    expect(await s.loadAccountKey()).toContain('PRIVATE KEY');
    expect(mode(root)).toBe(0o700);
    expect(mode(join(root, 'certs'))).toBe(0o700);
    expect(mode(join(root, 'account.key'))).toBe(0o600);
    expect(mode(join(root, 'certs', 'a.test.pem'))).toBe(0o600);
  });

  it('rejects a file without key and chain, and names that are not plain DNS names', async () => {
    const root = tempRoot();
    const s = new FileStorage(root);
    await s.saveAccountKey('x');
    await s.saveCertificate('b.test', { key: 'k', cert: 'c' });
    await expect(s.loadCertificate('b.test')).rejects.toThrow(/holds no key and chain/);
    for (const bad of ['../etc', '*.a.test', 'a..b', '', 'a/b', '-a.test', 'x'.repeat(64)]) {
      expect(() => checkName(bad), bad).toThrow(/not a DNS name/);
    }
    expect(checkName('WWW.Example.com')).toBe('www.example.com');
  });

  it('locks a name once at a time, releases, and breaks a stale lock', async () => {
    const root = tempRoot();
    const a = new FileStorage(root);
    const b = new FileStorage(root);
    const release = await a.tryLock('c.test', 60_000);
    expect(release).toBeDefined();
    expect(await b.tryLock('c.test', 60_000)).toBeUndefined();
    expect(mode(join(root, 'locks', 'c.test.lock'))).toBe(0o600);
    await release?.();
    const again = await b.tryLock('c.test', 60_000);
    expect(again).toBeDefined();
    // A holder that died ten minutes ago: its lock is stale.
    const old = new Date(Date.now() - 600_000);
    utimesSync(join(root, 'locks', 'c.test.lock'), old, old);
    expect(await a.tryLock('c.test', 60_000)).toBeDefined();
    writeFileSync(join(root, 'locks', 'd.test.lock'), 'other');
    expect(await a.tryLock('d.test', 60_000)).toBeUndefined();
  });
});

describe('AcmeManager and the order lock', () => {
  it('does not order a name another process is ordering, and checks back later', async () => {
    const root = tempRoot();
    const storage = new FileStorage(root);
    const held = await storage.tryLock('e.test', 600_000);
    expect(held).toBeDefined();
    const orders = record<AcmeOrderEvent>('pingora-ts:tls-acme:order');
    const scheduled = record<AcmeScheduledEvent>('pingora-ts:tls-acme:scheduled');
    const clock = new FakeClock();
    const m = new AcmeManager({
      // Never contacted: the lock is held.
      directoryUrl: 'https://127.0.0.1:1/dir',
      termsOfServiceAgreed: true,
      names: ['e.test'],
      storage,
      clock,
      retryMinMs: 5_000,
      logger: quietLogger,
    });
    try {
      await m.start();
      await m.ready();
      expect(orders.events).toEqual([]);
      expect(scheduled.events.map((e) => e.reason)).toEqual(['missing', 'retry']);
      expect((clock.next() ?? 0) - clock.now()).toBeGreaterThan(4_000);
      expect(m.certificate('e.test')).toBeUndefined();
    } finally {
      m.stop();
      orders.stop();
      scheduled.stop();
      await held?.();
    }
    expect(clock.pending).toBe(0);
  });

  it('refuses a config without agreed terms, without names, or with a bad fraction', () => {
    const base = {
      directoryUrl: 'https://127.0.0.1:1/dir',
      storage: new FileStorage(tempRoot()),
      names: ['f.test'],
      termsOfServiceAgreed: true,
    };
    expect(() => new AcmeManager({ ...base, termsOfServiceAgreed: false })).toThrow(/terms/);
    expect(() => new AcmeManager({ ...base, names: [] })).toThrow(/no names/);
    expect(() => new AcmeManager({ ...base, renewFraction: 1 })).toThrow(/renewFraction/);
    expect(() => new AcmeManager({ ...base, names: ['*.f.test'] })).toThrow(/DNS name/);
  });
});
