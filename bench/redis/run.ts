/**
 * Redis bench: added latency of a Redis-backed cache hit (lookup + body read
 * of a 1 KiB asset, against the same on MemoryStorage) and of a global rate
 * limiter check, as p50/p99 of sequential calls, and what a miss pays for
 * the cross-instance cache lock (lock + release of a free key); then
 * limiter checks per second with `--concurrency` checks in flight (pipelined
 * in one write per tick). Starts its own redis-server on a free loopback port.
 * `npm run bench:redis -- --iterations 20000 --duration-ms 5000`
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { CacheKey, CacheMeta, LockStatus, MemoryStorage, type Storage } from '@pingora-ts/cache';
import { ResponseHeader } from '@pingora-ts/http';
import {
  GlobalRateLimiter,
  NodeRedisClient,
  RedisCacheLock,
  RedisStorage,
} from '@pingora-ts/redis';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20000' },
    'duration-ms': { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '256' },
  },
});
const iterations = Math.max(1, Number(values.iterations));
const durationMs = Math.max(1, Number(values['duration-ms']));
const concurrency = Math.max(1, Number(values.concurrency));

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}

function percentiles(ns: bigint[]): { p50: string; p99: string } {
  const ms = ns.map((n) => Number(n) / 1e6).sort((a, b) => a - b);
  const at = (q: number) =>
    (ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0).toFixed(3);
  return { p50: `${at(0.5)} ms`, p99: `${at(0.99)} ms` };
}

async function timeHits(storage: Storage, key: CacheKey): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const found = await storage.lookup(key);
    for (
      let b = await found?.hit.readBody();
      b !== null && b !== undefined;
      b = await found?.hit.readBody()
    ) {}
    found?.hit.finish();
    out.push(process.hrtime.bigint() - t0);
  }
  return out;
}

async function store(storage: Storage, key: CacheKey): Promise<void> {
  const now = Date.now();
  const meta = new CacheMeta({
    created: now,
    freshUntil: now + 3_600_000,
    header: ResponseHeader.build(200),
  });
  const miss = await storage.getMissHandler(key, meta);
  await miss.writeBody(Buffer.alloc(1024, 1), true);
  await miss.finish();
}

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
  stdio: 'ignore',
});
server.once('error', () => {
  console.error('install redis-server (Debian package redis-server)');
  process.exit(1);
});
const client = new NodeRedisClient({ port, commandTimeoutMs: 5000 });
try {
  if (!(await client.connect(5000))) throw new Error('redis-server did not start');
  const key = new CacheKey('bench', 'asset');
  const memory = new MemoryStorage({ maxSizeBytes: 1 << 20 });
  const redis = new RedisStorage(client);
  await store(memory, key);
  await store(redis, key);
  const mem = percentiles(await timeHits(memory, key));
  const red = percentiles(await timeHits(redis, key));

  const limiter = new GlobalRateLimiter(client, { limit: 1_000_000_000, windowMs: 1000 });
  const checks: bigint[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await limiter.check('bench-client');
    checks.push(process.hrtime.bigint() - t0);
  }
  const lim = percentiles(checks);

  // a miss takes the key (one script call) and releases it once stored (another)
  const lock = new RedisCacheLock(client, { ageTimeoutMs: 5000, statusTtlMs: 1 });
  const locks: bigint[] = [];
  for (let i = 0; i < iterations; i++) {
    const k = new CacheKey('bench', `lock-${i}`);
    const t0 = process.hrtime.bigint();
    const l = await lock.lock(k);
    if (l.kind === 'write') await l.permit.release(LockStatus.Done);
    locks.push(process.hrtime.bigint() - t0);
  }
  const lk = percentiles(locks);

  let done = 0;
  const end = performance.now() + durationMs;
  const worker = async (w: number) => {
    while (performance.now() < end) {
      await limiter.check(`client-${w % 64}`);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const perSec = Math.round(done / ((performance.now() - started) / 1000));

  console.log(`cache hit, MemoryStorage (1 KiB): p50 ${mem.p50}, p99 ${mem.p99}`);
  console.log(`cache hit, RedisStorage  (1 KiB): p50 ${red.p50}, p99 ${red.p99}`);
  console.log(`limiter check (sequential):       p50 ${lim.p50}, p99 ${lim.p99}`);
  console.log(`cache lock, lock + release:        p50 ${lk.p50}, p99 ${lk.p99}`);
  console.log(`limiter checks/s, ${concurrency} in flight:   ${perSec}`);
} finally {
  await client.close();
  server.kill();
}
