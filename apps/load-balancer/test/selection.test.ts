/**
 * Each `selection` value of the gateway, end to end over real sockets: round
 * robin alternates, weighted shares follow the weights, random spreads,
 * fnv/ketama stick a key to one upstream, least_conn and p2c steer away
 * from an upstream with a request in flight, and their in-flight guards are
 * released exactly once (answered, failed, or aborted by the client).
 */
import { request } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import {
  closeClients,
  eventually,
  get,
  getMany,
  type Origin,
  origins,
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

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

it('round_robin (the default) alternates over the upstreams', async () => {
  const [a, b, c] = (await up('a', 'b', 'c')) as [Origin, Origin, Origin];
  await using gw = await startGateway(`  upstreams: ["${a.addr}", "${b.addr}", "${c.addr}"]\n`);
  expect(gw.gateway.config.selection).toBe('round_robin');
  const seen = (await getMany(gw.port, 9)).map((r) => r.origin);
  for (let i = 3; i < seen.length; i++) expect(seen[i]).toBe(seen[i - 3]);
  expect(new Set(seen.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
});

it('weighted shares follow the weights over a few hundred requests (map form)', async () => {
  const [a, b] = (await up('a', 'b')) as [Origin, Origin];
  await using gw = await startGateway(
    `  selection: weighted\n  upstreams:\n    "${a.addr}": 3\n    "${b.addr}": 1\n`,
  );
  const seen = (await getMany(gw.port, 400)).map((r) => r.origin);
  expect(count(seen, 'a')).toBeGreaterThanOrEqual(270);
  expect(count(seen, 'a')).toBeLessThanOrEqual(330);
  expect(count(seen, 'a') + count(seen, 'b')).toBe(400);
});

it('random spreads over the upstreams in proportion to weight (list form with weight=N)', async () => {
  const [a, b] = (await up('a', 'b')) as [Origin, Origin];
  await using gw = await startGateway(
    `  selection: random\n  upstreams: ["${a.addr} weight=2", "${b.addr}"]\n`,
  );
  const seen = (await getMany(gw.port, 300)).map((r) => r.origin);
  // Expected 200 / 100; bounds are many standard deviations (~8) away.
  expect(count(seen, 'a')).toBeGreaterThan(150);
  expect(count(seen, 'b')).toBeGreaterThan(50);
});

it('fnv sticks each header key to one upstream; keys spread over the upstreams', async () => {
  const list = await up('a', 'b', 'c');
  await using gw = await startGateway(
    `  selection: fnv\n  hash_key: header:X-User\n  upstreams: [${list.map((o) => `"${o.addr}"`).join(', ')}]\n`,
  );
  const byKey = new Map<string, Set<string>>();
  for (let round = 0; round < 3; round++) {
    for (let user = 0; user < 20; user++) {
      const r = await get(gw.port, `/${round}`, { 'x-user': `user-${user}` });
      const set = byKey.get(`user-${user}`) ?? new Set();
      set.add(r.origin);
      byKey.set(`user-${user}`, set);
    }
  }
  for (const set of byKey.values()) expect(set.size).toBe(1);
  const used = new Set([...byKey.values()].flatMap((s) => [...s]));
  expect(used.size).toBeGreaterThan(1);
});

it('ketama sticks a client IP (the default key) to one upstream, and a path with hash_key: path', async () => {
  const list = await up('a', 'b', 'c');
  const upstreams = `  upstreams: [${list.map((o) => `"${o.addr}"`).join(', ')}]\n`;
  {
    await using gw = await startGateway(`  selection: ketama\n${upstreams}`);
    const seen = (await getMany(gw.port, 12)).map((r) => r.origin);
    expect(new Set(seen).size).toBe(1);
  }
  await using gw = await startGateway(`  selection: ketama\n  hash_key: path\n${upstreams}`);
  const byPath = new Map<string, Set<string>>();
  for (let i = 0; i < 60; i++) {
    const path = `/item/${i % 20}`;
    const r = await get(gw.port, `${path}?q=${i}`);
    byPath.set(path, (byPath.get(path) ?? new Set()).add(r.origin));
  }
  for (const set of byPath.values()) expect(set.size).toBe(1);
  expect(new Set([...byPath.values()].flatMap((s) => [...s])).size).toBeGreaterThan(1);
});

/** Holds one request on some upstream, then sends `n` more: they should avoid it. */
async function avoidsBusy(selection: string): Promise<void> {
  const [a, b] = (await up('a', 'b')) as [Origin, Origin];
  await using gw = await startGateway(
    `  selection: ${selection}\n  upstreams: ["${a.addr}", "${b.addr}"]\n`,
  );
  const held = get(gw.port, '/hold');
  expect(await eventually(() => a.held.size + b.held.size === 1)).toBe(true);
  const busy = a.held.size === 1 ? a : b;
  const idle = busy === a ? b : a;
  expect(gw.gateway.lb.inFlight(busy.addr)).toBe(1);
  const seen = (await getMany(gw.port, 20)).map((r) => r.origin);
  expect(seen).toEqual(Array(20).fill(idle.name));
  busy.release();
  expect((await held).origin).toBe(busy.name);
  // Every guard released exactly once: back to zero, never below.
  expect(await eventually(() => gw.gateway.lb.inFlight(busy.addr) === 0)).toBe(true);
  expect(gw.gateway.lb.inFlight(idle.addr)).toBe(0);
}

it('least_conn prefers the idle upstream while the other has a slow request in flight', async () => {
  await avoidsBusy('least_conn');
});

it('p2c prefers the idle upstream while the other has a slow request in flight', async () => {
  await avoidsBusy('p2c');
});

it('least_conn releases the guard of a request the client aborts and of a failed one', async () => {
  const [a, dead] = (await up('a', 'dead')) as [Origin, Origin];
  await using gw = await startGateway(
    `  selection: least_conn\n  health_check:\n    interval_ms: 3600000\n  upstreams: ["${a.addr}", "${dead.addr}"]\n`,
    'max_retries: 0\n',
  );
  const lb = gw.gateway.lb;
  // A client that gives up while its request is held upstream.
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/hold', agent: false });
  req.on('error', () => {});
  req.end();
  expect(await eventually(() => a.held.size + dead.held.size === 1)).toBe(true);
  const holder = a.held.size === 1 ? a : dead;
  expect(lb.inFlight(holder.addr)).toBe(1);
  req.destroy();
  // The proxy learns of the abort when it answers (until then the upstream's read
  // timeout bounds the wait); the request then ends in an error and the guard goes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  holder.release();
  expect(await eventually(() => lb.inFlight(holder.addr) === 0)).toBe(true);
  // A client gone is no fault of the upstream: it stays in rotation.
  expect(lb.backends().health(holder.addr)?.ready).toBe(true);
  // An upstream that refuses connections (no retry allowed): the request fails, the guard goes.
  await dead.stop();
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await get(gw.port, '/')).status);
  expect(statuses).toContain(502);
  expect(lb.inFlight(dead.addr)).toBe(0);
  expect(lb.inFlight(a.addr)).toBe(0);
});
