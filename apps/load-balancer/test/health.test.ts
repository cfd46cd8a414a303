/**
 * Health of the gateway's upstreams, end to end: an upstream killed mid-run
 * costs no client request while another is healthy (connect failures are
 * retried elsewhere, the TCP check takes it out) and is readmitted once it
 * is back; an HTTP check whose path answers 500 takes its upstream out.
 */
import { afterEach, expect, it } from 'vitest';
import {
  closeClients,
  eventually,
  get,
  getMany,
  type Origin,
  origins,
  type Reply,
  startGateway,
} from './utils/harness.ts';

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

it('a dead upstream costs no client request and is readmitted when it comes back (tcp check)', async () => {
  const [a, b] = (await up('a', 'b')) as [Origin, Origin];
  const intervalMs = 100;
  const timeoutMs = 300;
  const healthyThreshold = 2;
  await using gw = await startGateway(
    [
      `  upstreams: ["${a.addr}", "${b.addr}"]`,
      '  health_check:',
      `    interval_ms: ${intervalMs}`,
      `    timeout_ms: ${timeoutMs}`,
      `    healthy_threshold: ${healthyThreshold}`,
      '    unhealthy_threshold: 2',
      '',
    ].join('\n'),
  );
  const results: Reply[] = await getMany(gw.port, 10);
  expect(new Set(results.map((r) => r.origin))).toEqual(new Set(['a', 'b']));

  await a.stop();
  const whileDown = await getMany(gw.port, 40);
  results.push(...whileDown);
  expect(new Set(whileDown.map((r) => r.origin))).toEqual(new Set(['b']));
  const health = gw.gateway.lb.backends();
  expect(await eventually(() => health.health(a.addr)?.healthy === false)).toBe(true);

  await a.start(); // the same port
  const backAt = performance.now();
  // Readmission within interval + timeout per needed pass (and the passive hold),
  // polled with a generous bound for a loaded machine.
  let back = false;
  for (let i = 0; i < 400 && !back; i++) {
    const r = await get(gw.port, '/');
    results.push(r);
    back = r.origin === 'a';
    if (!back) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(back).toBe(true);
  expect(performance.now() - backAt).toBeLessThan(10_000);
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
});

it('a GET whose fresh upstream connection dies before an answer is retried elsewhere; a POST is not', async () => {
  const [crashy, steady] = (await up('crashy', 'steady')) as [Origin, Origin];
  crashy.crash = true; // still passes its TCP check: only requests fail
  await using gw = await startGateway(`  upstreams: ["${crashy.addr}", "${steady.addr}"]\n`);
  const gets = await getMany(gw.port, 10);
  expect(gets).toEqual(Array(10).fill({ status: 200, origin: 'steady' }));
  const posts: number[] = [];
  for (let i = 0; i < 2; i++) posts.push((await get(gw.port, '/', {}, 'POST')).status);
  expect(posts).toContain(502);
  expect(posts.every((s) => s === 200 || s === 502)).toBe(true);
  // The failed GETs blamed the upstream for this request only, not in passive health.
  expect(gw.gateway.lb.backends().health(crashy.addr)?.ready).toBe(true);
});

it('an http health check takes out an upstream whose health path answers 500', async () => {
  const [flaky, steady] = (await up('flaky', 'steady')) as [Origin, Origin];
  await using gw = await startGateway(
    [
      `  upstreams: ["${flaky.addr}", "${steady.addr}"]`,
      '  health_check:',
      '    type: http',
      '    path: /health',
      '    interval_ms: 100',
      '    timeout_ms: 1000',
      '',
    ].join('\n'),
  );
  const health = gw.gateway.lb.backends();
  expect(new Set((await getMany(gw.port, 4)).map((r) => r.origin))).toEqual(
    new Set(['flaky', 'steady']),
  );
  flaky.healthStatus = 500;
  expect(await eventually(() => health.health(flaky.addr)?.healthy === false)).toBe(true);
  expect(health.health(steady.addr)?.healthy).toBe(true);
  const after = await getMany(gw.port, 10);
  expect(after.map((r) => r.origin)).toEqual(Array(10).fill('steady'));
  // And back in once the path answers 200 again.
  flaky.healthStatus = 200;
  expect(await eventually(() => health.health(flaky.addr)?.healthy === true)).toBe(true);
});

it('an upstream failing its http check from the start gets no request', async () => {
  const [sick, well] = (await up('sick', 'well')) as [Origin, Origin];
  sick.healthStatus = 500;
  // The proxy starts after the first check round, so not even the first request goes to it.
  await using gw = await startGateway(
    [
      `  upstreams: ["${sick.addr}", "${well.addr}"]`,
      '  health_check: { type: http, path: /health, expected_status: 200, interval_ms: 60000 }',
      '',
    ].join('\n'),
  );
  const seen = await getMany(gw.port, 6);
  expect(seen.map((r) => r.origin)).toEqual(Array(6).fill('well'));
});
