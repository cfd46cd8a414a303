/**
 * A caching ProxyHttp and a scriptable origin for the cache tests (in the
 * spirit of Pingora's tests/utils/server_utils.rs): the proxy enables the
 * cache for every path but /nocache, keys by Host + target, purges on
 * PURGE, answers X-Cache-Status, and lets each test swap settings, the
 * clock and the optional phases. The origin answers by path and query.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CacheKey,
  type CacheMeta,
  type CacheSettings,
  type ForcedHit,
  MemoryStorage,
  pingoraPolicy,
  VarianceBuilder,
} from '@pingora-ts/cache';
import { HttpPeer } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';
import type { ProxyHttp } from '../../src/proxy-http.ts';

/** A clock the test moves by hand (ms). */
export class ManualClock {
  t = Date.UTC(2026, 0, 1);
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface CachingOptions {
  settings?: Partial<CacheSettings>;
  /** Follow Vary in cacheVaryFilter; names in `varyIgnore` do not count. */
  vary?: boolean;
  varyIgnore?: string[];
  hitFilter?: (req: RequestHeader) => ForcedHit | undefined;
  serveStale?: (error: PingoraError | undefined) => boolean;
}

export function cachingProxy(
  originAddress: () => string,
  clock: ManualClock,
  options: CachingOptions = {},
): ProxyHttp<null> & { settings: CacheSettings } {
  const settings: CacheSettings = {
    storage: new MemoryStorage({ maxSizeBytes: 1 << 24 }),
    policy: pingoraPolicy(),
    now: clock.now,
    ...options.settings,
  };
  const inner: ProxyHttp<null> & { settings: CacheSettings } = {
    settings,
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(originAddress()),
    requestCacheFilter(s) {
      if (s.reqHeader.path.startsWith('/nocache')) return;
      s.cache.enable(inner.settings);
    },
    cacheKeyCallback: (s) =>
      CacheKey.default(s.reqHeader.getHeader('host') ?? '', s.reqHeader.target),
    isPurge: (s) => s.reqHeader.method === 'PURGE',
    responseFilter(s, resp) {
      resp.insertHeader('X-Cache-Status', s.cacheState?.statusText ?? 'BYPASS');
    },
  };
  if (options.vary) {
    inner.cacheVaryFilter = (meta: CacheMeta, _ctx, req) => {
      const b = new VarianceBuilder();
      for (const n of meta.varyFieldNames()) {
        if (!options.varyIgnore?.includes(n)) b.add(n, req.getAll(n).join(','));
      }
      return b.finalize();
    };
  }
  const hf = options.hitFilter;
  if (hf !== undefined) inner.cacheHitFilter = (s) => hf(s.reqHeader);
  const ss = options.serveStale;
  if (ss !== undefined) inner.shouldServeStale = (_s, _ctx, e) => ss(e);
  return inner;
}

/** What the origin does for a request; tests change it between requests. */
export type OriginScript = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface ScriptedOrigin extends AsyncDisposable {
  readonly address: string;
  readonly port: number;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  script: OriginScript;
  count(path: string): number;
}

/** The default script: `Cache-Control: max-age=ttl`, an ETag, Last-Modified, `hello world`. */
export const cacheable =
  (cc = 'max-age=1', body = 'hello world', extra: Record<string, string> = {}): OriginScript =>
  (req, res) => {
    const etag = '"v1"';
    const lm = 'Sun, 06 Nov 1994 08:49:37 GMT';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { 'Cache-Control': cc, ETag: etag, ...extra });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Cache-Control': cc,
      ETag: etag,
      'Last-Modified': lm,
      'Content-Type': 'text/plain',
      'Content-Length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  };

export async function startScriptedOrigin(
  script: OriginScript = cacheable(),
): Promise<ScriptedOrigin> {
  const hits = new Map<string, number>();
  const requests: ScriptedOrigin['requests'] = [];
  const sockets = new Set<Socket>();
  const o = {
    script,
    hits,
    requests,
    count: (path: string) => hits.get(path) ?? 0,
  } as ScriptedOrigin;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    o.script(req, res, n);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  Object.assign(o, {
    port,
    address: `127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return o;
}
