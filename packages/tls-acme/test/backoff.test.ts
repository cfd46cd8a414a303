/**
 * Retries on the injected clock: a CA that refuses connections gives one
 * failed-order event per attempt and retry delays doubling from retryMinMs
 * up to retryMaxMs; nothing is ever installed or dropped meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AcmeManager, type AcmeOrderEvent, FileStorage } from '../src/index.ts';
import { FakeClock } from './utils/fake-clock.ts';
import { freePort } from './utils/pebble.ts';
import { quietLogger, record } from './utils/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-acme-backoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('order retries', () => {
  it('backs off exponentially up to the cap while the CA is unreachable', async () => {
    const clock = new FakeClock();
    const orders = record<AcmeOrderEvent>('pingora-ts:tls-acme:order');
    const closed = await freePort(); // nothing listens there
    const m = new AcmeManager({
      directoryUrl: `https://127.0.0.1:${closed}/dir`,
      termsOfServiceAgreed: true,
      names: ['g.test'],
      storage: new FileStorage(join(dir, 'acme')),
      clock,
      retryMinMs: 1_000,
      retryMaxMs: 4_000,
      requestRetries: 0,
      logger: quietLogger,
    });
    const delays: number[] = [];
    try {
      await m.start();
      await m.ready();
      for (let i = 0; i < 4; i++) {
        delays.push((clock.next() ?? 0) - clock.now());
        clock.fireNext();
        await m.ready();
      }
    } finally {
      m.stop();
      orders.stop();
    }
    expect(orders.events.map((e) => [e.ok, e.failures])).toEqual([
      [false, 1],
      [false, 2],
      [false, 3],
      [false, 4],
      [false, 5],
    ]);
    // acme-client loses a network error's code once its own retries are spent.
    expect(orders.events[0]?.error).toMatch(/the order for g\.test failed/);
    // 1 s, 2 s, 4 s, then capped at 4 s (a few ms of real time pass between reads).
    const rounded = delays.map((d) => Math.round(d / 100) * 100);
    expect(rounded).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(m.certificate('g.test')).toBeUndefined();
    expect(clock.pending).toBe(0);
  });
});
