/**
 * The gateway under the server's timeout keys: an upstream that accepts and
 * never answers is a 504 at upstream_read_timeout_seconds, also when the
 * gateway retries the GET on another upstream, and also when no upstream is
 * left to retry on (before, the failed retry's "no healthy upstream left" 502).
 */
import { afterEach, expect, it } from 'vitest';
import { closeClients, get, type Origin, origins, startGateway } from './utils/harness.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  closeClients();
});

async function up(...names: string[]): Promise<Origin[]> {
  const list = await origins(...names);
  for (const o of list) cleanups.push(() => o.stop());
  return list;
}

const TOP = 'upstream_read_timeout_seconds: 0.3\n';

it('a hung upstream is a 504 at the configured read timeout, not a 502 from the failed retry', async () => {
  const [hung] = (await up('hung')) as [Origin];
  await using gw = await startGateway(`  upstreams: ["${hung.addr}"]\n`, TOP);
  const t0 = performance.now();
  const reply = await get(gw.port, '/hold');
  const ms = performance.now() - t0;
  expect(reply.status).toBe(504);
  expect(ms).toBeGreaterThanOrEqual(280);
  expect(ms).toBeLessThan(1500);
});

it('two hung upstreams: the GET is retried on the other, then 504', async () => {
  const [a, b] = (await up('a', 'b')) as [Origin, Origin];
  await using gw = await startGateway(`  upstreams: ["${a.addr}", "${b.addr}"]\n`, TOP);
  const t0 = performance.now();
  const reply = await get(gw.port, '/hold');
  const ms = performance.now() - t0;
  expect(reply.status).toBe(504);
  // One attempt on each: both held a request.
  expect([a.held.size, b.held.size]).toEqual([1, 1]);
  expect(ms).toBeGreaterThanOrEqual(580);
  expect(ms).toBeLessThan(2500);
});
