/**
 * PrometheusHttpApp (Pingora's PrometheusHttpApp): an HttpServerApp that
 * answers `GET /metrics` with a registry's text exposition, gzipped (level
 * 7, as Pingora's server) when the scraper accepts it; other paths get 404
 * and other methods 405. prometheusServer() wraps it in core's HttpServer.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  CompressionAlgorithm,
  HttpServer,
  type HttpServerApp,
  type HttpServerOptions,
  type HttpServerSession,
  responseHead,
} from '@pingora-ts/core';
import { chooseEncoding } from '@pingora-ts/core/compression';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type Registry, register } from 'prom-client';

const gzipAsync = promisify(gzip);
const GZIP_ONLY: ReadonlySet<CompressionAlgorithm> = new Set([CompressionAlgorithm.Gzip]);
/** Below this a gzip header and trailer cost more than they save. */
const MIN_GZIP_BYTES = 256;
const TEXT = 'text/plain; charset=utf-8';

export interface PrometheusHttpAppOptions {
  /** The registry to expose (default: prom-client's global registry). */
  registry?: Registry;
  /** The one path served (default `/metrics`); the query string is ignored. */
  path?: string;
  /** gzip level 1-9 for scrapers that accept gzip, or false for none (default 7, as Pingora). */
  gzipLevel?: number | false;
}

export class PrometheusHttpApp implements HttpServerApp {
  readonly registry: Registry;
  readonly path: string;
  readonly gzipLevel: number | false;

  constructor(options: PrometheusHttpAppOptions = {}) {
    const path = options.path ?? '/metrics';
    if (!path.startsWith('/')) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `prometheus: metrics path must start with "/", got "${path}"`,
      );
    }
    const level = options.gzipLevel ?? 7;
    if (level !== false && !(Number.isInteger(level) && level >= 1 && level <= 9)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `prometheus: gzipLevel must be an integer from 1 to 9 or false, got ${String(level)}`,
      );
    }
    this.registry = options.registry ?? register;
    this.path = path;
    this.gzipLevel = level;
  }

  processNewHttp(session: HttpServerSession): Promise<void> | undefined {
    const req = session.requestHeader;
    if (req === undefined) return undefined;
    if (req.path !== this.path) {
      respond(session, 404, { 'Content-Type': TEXT }, 'not found\n', req.method === 'HEAD');
      return undefined;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const headers = { 'Content-Type': TEXT, Allow: 'GET, HEAD' };
      respond(session, 405, headers, 'method not allowed\n', false);
      return undefined;
    }
    return this.#scrape(session, req.method === 'HEAD', req.getHeader('accept-encoding'));
  }

  async #scrape(
    session: HttpServerSession,
    head: boolean,
    acceptEncoding: string | undefined,
  ): Promise<void> {
    let text: string;
    try {
      text = await this.registry.metrics();
    } catch (err) {
      // A failing collect() callback: the HttpServer answers 500 and logs this.
      throw PingoraError.because(
        ErrorType.InternalError,
        'prometheus: collecting metrics failed',
        err,
      );
    }
    let body = Buffer.from(text, 'utf8');
    const headers: Record<string, string> = {
      'Content-Type': this.registry.contentType,
      'Cache-Control': 'no-store',
    };
    if (this.gzipLevel !== false) {
      headers.Vary = 'Accept-Encoding';
      if (
        body.length >= MIN_GZIP_BYTES &&
        chooseEncoding(acceptEncoding, GZIP_ONLY) === CompressionAlgorithm.Gzip
      ) {
        body = await gzipAsync(body, { level: this.gzipLevel });
        headers['Content-Encoding'] = 'gzip';
      }
    }
    respond(session, 200, headers, body, head);
  }
}

/** Writes a whole response; a HEAD response keeps the length of the body it omits. */
function respond(
  session: HttpServerSession,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Buffer | string,
  head: boolean,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const header = responseHead(status, headers);
  header.appendHeader('Content-Length', bytes.length);
  session.writeResponseHeader(header);
  if (!head && bytes.length > 0) session.writeBody(bytes);
}

/** Pingora's new_prometheus_server(): the app in core's HttpServer (keep-alive, limits). */
export function prometheusServer(
  options: PrometheusHttpAppOptions = {},
  server: HttpServerOptions = {},
): HttpServer {
  return new HttpServer(new PrometheusHttpApp(options), server);
}
