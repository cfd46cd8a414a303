/**
 * Smoke test of the connection filter sample as a real process: a client
 * from an allowed address gets its answer; one from a denied address
 * (127.0.0.2, still loopback) is closed without a byte, and the denial is logged.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { get, runSample } from '../../quick-start/test/utils.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

/** Sends a request from `localAddress`; resolves with what came back before the close. */
function rawFrom(localAddress: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no close in time: ${got}`)), 10_000);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
    });
    s.on('error', () => {}); // a reset is a close too
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  });
}

it('serves allowed clients and closes denied ones before reading', async () => {
  await using app = runSample(
    MAIN,
    'version: 1\ngrace_period_seconds: 1\nconnection_filter:\n  listen: [127.0.0.1:0]\n  deny: [127.0.0.2]\n',
  );
  const port = await app.port('connection-filter');
  expect(await get(port)).toEqual({ status: 200, body: 'hello 127.0.0.1\n' });
  expect(await rawFrom('127.0.0.2', port)).toBe('');
  expect(await rawFrom('127.0.0.1', port)).toMatch(/^HTTP\/1\.1 200 /);
  await expect
    .poll(() => app.log(), { timeout: 5_000 })
    .toMatch(/"peer":"127\.0\.0\.2".*connection denied/);
  expect(await app.stop()).toBe(0);
});

it('-t refuses a rule that is not an address', async () => {
  await using app = runSample(MAIN, 'version: 1\nconnection_filter:\n  deny: [not-an-ip]\n', [
    '-t',
  ]);
  expect(await app.exited()).toBe(1);
  expect(app.log()).toMatch(
    /:3:10: connection_filter\.deny\[0\]: "not-an-ip" is not an IP address or CIDR range/,
  );
});
