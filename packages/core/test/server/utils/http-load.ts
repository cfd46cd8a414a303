/**
 * Load for the upgrade tests, on raw sockets so that every failure is seen
 * for what it is: a connect-per-request loop (refused, reset, truncated or
 * ok, counted per answering pid) and slow keep-alive requests. Every loop is
 * bounded in count and time.
 */
import { connect, createServer } from 'node:net';

export interface Exchange {
  readonly outcome: 'ok' | 'refused' | 'reset' | 'truncated' | 'error';
  readonly status?: number;
  readonly headers?: string;
  readonly body?: string;
  readonly detail?: string;
}

/** One request on a fresh connection; the raw response is parsed (Content-Length only). */
export function exchange(
  port: number,
  path: string,
  { keepAlive = false, timeoutMs = 15_000 } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (e: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    const timer = setTimeout(() => finish({ outcome: 'error', detail: 'timeout' }), timeoutMs);
    const parse = (): Exchange | undefined => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const head = raw.slice(0, end);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      const body = raw.slice(end + 4);
      if (Number.isNaN(length) || body.length < length) return undefined;
      return { outcome: 'ok', status, headers: head, body: body.slice(0, length) };
    };
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: test\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`,
      );
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const done = parse();
      if (done !== undefined) finish(done);
    });
    socket.on('end', () => finish(parse() ?? { outcome: 'truncated', detail: 'closed early' }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish({ outcome: 'refused' });
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        finish(parse() ?? { outcome: 'reset', detail: err.code });
      } else finish({ outcome: 'error', detail: err.code ?? err.message });
    });
  });
}

export interface LoopResult {
  ok: number;
  refused: number;
  reset: number;
  truncated: number;
  errors: string[];
  /** Answers per pid (from `ok <pid>`). */
  byPid: Map<number, number>;
}

export interface Loop {
  /** Stops the loop and resolves with the counts once every client is done. */
  stop(): Promise<LoopResult>;
  readonly result: LoopResult;
}

/**
 * `clients` concurrent clients, each connecting anew for every request, until
 * stop() or `maxRequests` in total or `maxMs` elapsed.
 */
export function connectLoop(
  port: number,
  { clients = 32, maxRequests = 200_000, maxMs = 30_000 } = {},
): Loop {
  const result: LoopResult = {
    ok: 0,
    refused: 0,
    reset: 0,
    truncated: 0,
    errors: [],
    byPid: new Map(),
  };
  let stopped = false;
  let sent = 0;
  const deadline = Date.now() + maxMs;
  const client = async () => {
    while (!stopped && sent < maxRequests && Date.now() < deadline) {
      sent++;
      const e = await exchange(port, '/');
      if (e.outcome === 'ok') {
        result.ok++;
        const pid = Number(/^ok (\d+)$/.exec(e.body ?? '')?.[1]);
        result.byPid.set(pid, (result.byPid.get(pid) ?? 0) + 1);
      } else if (e.outcome === 'error') result.errors.push(e.detail ?? '?');
      else result[e.outcome]++;
    }
  };
  const all = Promise.all(Array.from({ length: clients }, client));
  return {
    result,
    async stop() {
      stopped = true;
      await all;
      return result;
    },
  };
}

/** A port that was free a moment ago (for endpoints that must be fixed, e.g. reuseport groups). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
