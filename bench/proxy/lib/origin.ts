/**
 * The origin every proxy forwards to: one nginx worker on loopback with a
 * small-body and a 64 KiB-body location, keep-alive without a request cap (so
 * a pooled upstream connection is never closed by the origin mid-run), and
 * `stub_status`, whose "accepts" counter tells how many upstream connections
 * a proxy opened.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Child } from './children.ts';
import { freePort, HOST, httpGet, waitForPort } from './net.ts';
import { startNginx } from './nginx.ts';

/** A response the origin serves, as the path that returns it and its body size. */
export interface Workload {
  readonly name: string;
  readonly path: string;
  readonly bodyBytes: number;
}

const SMALL_BODY = 'Hello from the pingora-ts bench origin\n';

export const WORKLOADS = {
  small: { name: 'small', path: '/small', bodyBytes: Buffer.byteLength(SMALL_BODY) },
  '64k': { name: '64k', path: '/64k', bodyBytes: 64 * 1024 },
} as const satisfies Record<string, Workload>;

export type WorkloadName = keyof typeof WORKLOADS;

export interface Origin {
  readonly host: string;
  readonly port: number;
  readonly child: Child;
  /** nginx's count of accepted connections so far (includes the one used to read it). */
  accepts(): Promise<number>;
}

const STATUS_PATH = '/nginx_status';

export async function startOrigin(dir: string, cpu?: string): Promise<Origin> {
  const port = await freePort();
  const body = Buffer.alloc(WORKLOADS['64k'].bodyBytes);
  for (let i = 0; i < body.length; i++) body[i] = 97 + (i % 26);
  const file = join(dir, '64k.bin');
  const http = `  keepalive_timeout 75s;
  keepalive_requests 100000000;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  open_file_cache max=16 inactive=300s;
  server {
    listen ${HOST}:${port} backlog=4096;
    location = ${WORKLOADS.small.path} {
      default_type text/plain;
      return 200 ${JSON.stringify(SMALL_BODY)};
    }
    location = ${WORKLOADS['64k'].path} {
      default_type application/octet-stream;
      alias ${file};
    }
    location = ${STATUS_PATH} {
      stub_status;
    }
  }`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, body);
  const child = startNginx('origin', dir, http, cpu);
  await waitForPort(port, child);
  const origin: Origin = {
    host: HOST,
    port,
    child,
    async accepts() {
      const res = await httpGet(port, STATUS_PATH);
      const m = /server accepts handled requests\s+(\d+)\s+\d+\s+\d+/.exec(res.body.toString());
      if (res.status !== 200 || m === null) {
        throw PingoraError.explain(
          ErrorType.InvalidHTTPHeader,
          `origin stub_status answered ${res.status}: ${res.body.toString().slice(0, 200)}`,
        );
      }
      return Number(m[1]);
    },
  };
  for (const w of Object.values(WORKLOADS)) {
    const res = await httpGet(port, w.path);
    if (res.status !== 200 || res.body.length !== w.bodyBytes) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `origin ${w.path} answered ${res.status} with ${res.body.length} bytes, want 200 with ${w.bodyBytes}`,
      );
    }
  }
  return origin;
}
