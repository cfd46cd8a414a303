/**
 * Connection pool micro-benchmark: one get plus one put (take an idle
 * connection for a peer, return it) with 10,000 idle connections spread over
 * 1,000 peers keyed by real HttpPeer reuse hashes, with and without idle
 * timeouts, against a straightforward design (Map of arrays, a Set as LRU and
 * one setTimeout per pooled connection).
 */
import { HttpPeer } from '@pingora-ts/core';
import { ConnectionPool, type IdleEntry, type IdleWatch } from '@pingora-ts/pool';
import { bench, do_not_optimize, group, summary } from 'mitata';

const PEERS = 1000;
const PER_PEER = 10;
const IDLE_MS = 60_000;

interface Conn {
  readonly id: number;
  entry: IdleEntry | undefined;
}

/** What a socket watch does, minus the socket: remember the handle, forget it on unwatch. */
const watch: IdleWatch<Conn> = {
  watch(conn, entry) {
    conn.entry = entry;
  },
  unwatch(conn) {
    conn.entry = undefined;
  },
  close() {},
};

const keys = Array.from({ length: PEERS }, (_, i) =>
  new HttpPeer(`10.${(i >> 8) & 255}.${i & 255}.1:443`, {
    tls: true,
    sni: `svc${i}.example`,
  }).reuseHash(),
);
// A fixed pseudo-random order of peers, so every design sees the same accesses.
const order = new Uint16Array(1 << 16);
let seed = 0x2545f491;
for (let i = 0; i < order.length; i++) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  order[i] = (seed >>> 0) % PEERS;
}

function filledPool(idleTimeoutMs: number | undefined): ConnectionPool<Conn> {
  const pool = new ConnectionPool<Conn>({ maxSize: PEERS * PER_PEER });
  const options = { idleTimeoutMs, watch };
  let id = 0;
  for (let r = 0; r < PER_PEER; r++) {
    for (const key of keys) pool.put(key, { id: id++, entry: undefined }, options);
  }
  return pool;
}

/** The obvious alternative: Map of arrays, Set for LRU order, one timer per pooled connection. */
class NaivePool {
  readonly byKey = new Map<string, Conn[]>();
  readonly lru = new Set<Conn>();
  readonly timers = new Map<Conn, NodeJS.Timeout>();
  readonly keyOf = new Map<Conn, string>();
  readonly maxSize: number;
  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }
  put(key: string, conn: Conn, idleTimeoutMs: number): void {
    let list = this.byKey.get(key);
    if (list === undefined) {
      list = [];
      this.byKey.set(key, list);
    }
    list.push(conn);
    this.lru.add(conn);
    this.keyOf.set(conn, key);
    const t = setTimeout(() => this.remove(conn), idleTimeoutMs);
    t.unref();
    this.timers.set(conn, t);
    if (this.lru.size > this.maxSize) {
      const oldest = this.lru.values().next().value as Conn;
      this.remove(oldest);
    }
  }
  get(key: string): Conn | undefined {
    const conn = this.byKey.get(key)?.pop();
    if (conn === undefined) return undefined;
    this.lru.delete(conn);
    this.keyOf.delete(conn);
    clearTimeout(this.timers.get(conn));
    this.timers.delete(conn);
    return conn;
  }
  remove(conn: Conn): void {
    const key = this.keyOf.get(conn);
    if (key === undefined) return;
    const list = this.byKey.get(key)!;
    list.splice(list.indexOf(conn), 1);
    this.lru.delete(conn);
    this.keyOf.delete(conn);
    clearTimeout(this.timers.get(conn));
    this.timers.delete(conn);
  }
}

group('pool get+put, 10,000 idle connections over 1,000 peers', () => {
  summary(() => {
    const timed = filledPool(IDLE_MS);
    const timedOptions = { idleTimeoutMs: IDLE_MS, watch };
    let i = 0;
    bench('ConnectionPool, idle timeout', () => {
      const key = keys[order[i++ & 0xffff]!]!;
      const conn = timed.get(key)!;
      timed.put(key, conn, timedOptions);
      do_not_optimize(conn);
    });

    const untimed = filledPool(undefined);
    const untimedOptions = { watch };
    let j = 0;
    bench('ConnectionPool, no idle timeout', () => {
      const key = keys[order[j++ & 0xffff]!]!;
      const conn = untimed.get(key)!;
      untimed.put(key, conn, untimedOptions);
      do_not_optimize(conn);
    });

    const naive = new NaivePool(PEERS * PER_PEER);
    let id = 0;
    for (let r = 0; r < PER_PEER; r++) {
      for (const key of keys) naive.put(key, { id: id++, entry: undefined }, IDLE_MS);
    }
    let k = 0;
    bench('Map + Set LRU + setTimeout per put', () => {
      const key = keys[order[k++ & 0xffff]!]!;
      const conn = naive.get(key)!;
      naive.put(key, conn, IDLE_MS);
      do_not_optimize(conn);
    });
  });
});

group('peer per request: new HttpPeer + reuseHash (the pool key)', () => {
  let n = 0;
  bench('HttpPeer, TLS with SNI', () => {
    const i = n++ & 1023;
    const peer = new HttpPeer(`10.0.${i >> 8}.${i & 255}:443`, { tls: true, sni: 'svc.example' });
    do_not_optimize(peer.reuseHash());
  });
});
