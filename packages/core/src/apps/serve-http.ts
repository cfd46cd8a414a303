/**
 * ServeHttp (Pingora's apps::http_app::ServeHttp): the simplest HTTP app, a
 * function from a request to a whole response. `serveHttp(fn)` turns it into
 * a ServerApp for a ListeningService. Streaming or interactive responses
 * need an HttpServerApp of their own.
 */
import { ResponseHeader } from '@pingora-ts/http';
import type { HttpServerSession } from '../protocols/http/server-session.ts';
import { HttpServer, type HttpServerApp, type HttpServerOptions } from './http-app.ts';

/** A whole response: head and (optional) body. Content-Length is set from the body when absent. */
export interface HttpResponse {
  readonly header: ResponseHeader;
  readonly body?: Buffer | string;
}

/**
 * Maps a request (head read; read the body from the session if needed) to
 * a response. May also write the response itself on the session and return
 * undefined.
 */
export type ServeHttp = (
  session: HttpServerSession,
) => Promise<HttpResponse | undefined> | HttpResponse | undefined;

/** An HttpServerApp around a ServeHttp function. */
export class ServeHttpApp implements HttpServerApp {
  readonly handler: ServeHttp;

  constructor(handler: ServeHttp) {
    this.handler = handler;
  }

  processNewHttp(session: HttpServerSession): Promise<void> | undefined {
    const res = this.handler(session);
    // A synchronous handler costs no promise: the common hello-world case.
    if (res === undefined || !('then' in res)) {
      if (res !== undefined) writeWholeResponse(session, res);
      return undefined;
    }
    return res.then((r) => {
      if (r !== undefined) writeWholeResponse(session, r);
    });
  }
}

/** Writes a whole response on `session` and finishes it. */
export function writeWholeResponse(session: HttpServerSession, res: HttpResponse): void {
  const body = typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
  const header = res.header;
  if (!header.hasHeader('content-length') && !header.hasHeader('transfer-encoding')) {
    // A decimal length is always a valid value: skip the validating path.
    header.appendUnchecked(
      'Content-Length',
      String(body === undefined ? 0 : body.length),
      'content-length',
    );
  }
  session.writeResponse(header, body);
}

/** A ServerApp that answers every request with `handler` (keep-alive, pipelining, limits included). */
export function serveHttp(handler: ServeHttp, options?: HttpServerOptions): HttpServer {
  return new HttpServer(new ServeHttpApp(handler), options);
}

/** A response head of `status` with the given fields, for ServeHttp handlers. */
export function responseHead(
  status: number,
  headers: Readonly<Record<string, string | number>> = {},
): ResponseHeader {
  const header = ResponseHeader.build(status);
  for (const name of Object.keys(headers))
    header.appendHeader(name, headers[name] as string | number);
  return header;
}
