/**
 * End to end against pebble on loopback (Debian's pebble package): a
 * certificate issued over http-01 and one over tls-alpn-01, served by the
 * TLS listener; renewal at two thirds of the lifetime swapping the serial
 * new connections see while an open one keeps working; pebble down during
 * a renewal keeps the old certificate and retries with backoff.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcmeManager,
  type AcmeOrderEvent,
  type AcmeScheduledEvent,
  type ChallengeType,
  FileStorage,
} from '../src/index.ts';
import { FakeClock } from './utils/fake-clock.ts';
import { Pebble } from './utils/pebble.ts';
import { AcmeTestServers, echo, quietLogger, record } from './utils/servers.ts';

const NAME = 'pingora-ts.test';
const servers = new AcmeTestServers();
let pebble: Pebble;
const dirs: string[] = [];

beforeAll(async () => {
  await servers.start();
  pebble = new Pebble({ httpPort: servers.httpPort, tlsPort: servers.tlsPort });
  await pebble.start();
}, 30_000);

afterAll(async () => {
  servers.manager?.stop();
  await servers.stop();
  await pebble?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function managerFor(challenges: ChallengeType[], clock: FakeClock): AcmeManager {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-acme-'));
  dirs.push(dir);
  const root = join(dir, 'acme');
  const m = new AcmeManager({
    directoryUrl: pebble.directoryUrl,
    email: 'ops@pingora-ts.test',
    termsOfServiceAgreed: true,
    names: [NAME],
    challenges,
    storage: new FileStorage(root),
    directoryCa: pebble.ca,
    clock,
    retryMinMs: 1_000,
    retryMaxMs: 4_000,
    orderTimeoutMs: 30_000,
    requestRetries: 1,
    requestRetryDelaySeconds: 0,
    logger: quietLogger,
  });
  servers.manager?.stop();
  servers.manager = m;
  return m;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('ACME against pebble', () => {
  it('issues over http-01, answered before the user app, and the TLS listener serves it', async () => {
    const orders = record<AcmeOrderEvent>('pingora-ts:tls-acme:order');
    const m = managerFor(['http-01'], new FakeClock());
    await m.start();
    await m.ready();
    orders.stop();
    expect(orders.events.map((e) => e.ok)).toEqual([true]);
    const issued = m.info(NAME);
    expect(issued).toBeDefined();
    expect(servers.alpnChallenges).toBe(0);
    // Chains to pebble's current root and is valid for the name.
    const root = await pebble.root();
    const socket = await servers.connect(NAME, root);
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerX509Certificate()?.serialNumber).toBe(issued?.serial);
    expect(await echo(socket, 'ping')).toBe('ping');
    socket.destroy();
    // Pebble's validation never reached the user app; other paths do.
    expect(servers.user.paths.some((p) => p.startsWith('/.well-known/'))).toBe(false);
    expect(await servers.get('/.well-known/acme-challenge/unknown')).toMatchObject({ status: 404 });
    expect(await servers.get('/app')).toEqual({ status: 200, body: 'user' });
    // Safe permissions on disk.
    const dir = dirs.at(-1) as string;
    expect(mode(join(dir, 'acme'))).toBe(0o700);
    expect(mode(join(dir, 'acme', 'certs'))).toBe(0o700);
    expect(mode(join(dir, 'acme', 'account.key'))).toBe(0o600);
    expect(mode(join(dir, 'acme', 'certs', `${NAME}.pem`))).toBe(0o600);
  }, 60_000);

  it('issues over tls-alpn-01, renews at 2/3 with a hot swap, and survives the CA going down', async () => {
    const clock = new FakeClock();
    const orders = record<AcmeOrderEvent>('pingora-ts:tls-acme:order');
    const scheduled = record<AcmeScheduledEvent>('pingora-ts:tls-acme:scheduled');
    try {
      const m = managerFor(['tls-alpn-01'], clock);
      await m.start();
      await m.ready();
      const first = m.info(NAME);
      if (first === undefined) throw new Error(`not issued: ${JSON.stringify(orders.events)}`);
      expect(await servers.servedSerial(NAME)).toBe(first.serial);
      // Pebble validated inside our TLS listener's handshake (acme-tls/1).
      expect(servers.alpnChallenges).toBeGreaterThan(0);
      const accountKey = readFileSync(join(dirs.at(-1) as string, 'acme', 'account.key'), 'utf8');

      // The renewal is planned at two thirds of the lifetime.
      const lifetime = first.notAfter - first.notBefore;
      expect(lifetime).toBeLessThanOrEqual(3_600_000);
      expect(clock.next()).toBeCloseTo(first.notBefore + (lifetime * 2) / 3, -3);
      const open = await servers.connect(NAME);
      clock.fireNext();
      await m.ready();
      const second = m.info(NAME);
      expect(second?.serial).not.toBe(first.serial);
      expect(await servers.servedSerial(NAME)).toBe(second?.serial);
      // The connection opened before the swap still works, on the old certificate.
      expect(await echo(open, 'still here')).toBe('still here');
      expect(open.getPeerX509Certificate()?.serialNumber).toBe(first.serial);
      open.destroy();

      // The CA goes down at the next renewal: the certificate stays, retries back off.
      await pebble.stopPebble();
      orders.events.length = 0;
      scheduled.events.length = 0;
      clock.fireNext();
      await m.ready();
      clock.fireNext();
      await m.ready();
      expect(orders.events.map((e) => [e.ok, e.failures])).toEqual([
        [false, 1],
        [false, 2],
      ]);
      const retries = scheduled.events.filter((e) => e.reason === 'retry');
      expect(retries).toHaveLength(2);
      expect(m.info(NAME)?.serial).toBe(second?.serial);
      expect(await servers.servedSerial(NAME)).toBe(second?.serial);
      const delay = (clock.next() ?? 0) - clock.now();
      expect(delay).toBeGreaterThan(1_500);
      expect(delay).toBeLessThanOrEqual(2_000);

      // Back up: the retry renews and the new certificate is served.
      await pebble.start();
      clock.fireNext();
      await m.ready();
      const third = m.info(NAME);
      expect(orders.events.at(-1)?.ok).toBe(true);
      expect(third?.serial).not.toBe(second?.serial);
      expect(await servers.servedSerial(NAME)).toBe(third?.serial);
      // The account key was created once.
      expect(readFileSync(join(dirs.at(-1) as string, 'acme', 'account.key'), 'utf8')).toBe(
        accountKey,
      );
    } finally {
      orders.stop();
      scheduled.stop();
    }
  }, 120_000);
});
