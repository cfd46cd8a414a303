/**
 * Modify-response (Pingora's modify_response example): the JSON body of the
 * upstream answer is collected in the body filter (bounded), rewritten at
 * its end, and sent as one piece. The header filter drops Content-Length,
 * since the length changes, so the response goes out chunked.
 */
import { demoOriginService } from '@pingora-ts/app-demo-origin';
import { configField, defineConfigSchema, HttpPeer, type Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { ResponseHeader } from '@pingora-ts/http';
import { httpProxyService, type ProxyHttp, type Session } from '@pingora-ts/proxy';
import { startDemoApi } from './demo-origin.ts';

export const modifyConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6192'], maxItems: 64 }),
  upstream: configField.string({ default: '' }),
  maxJsonBytes: configField.integer({
    key: 'max_json_bytes',
    default: 1 << 20,
    min: 1,
    max: 64 << 20,
  }),
});

/** Per request: whether this response is rewritten, and its body so far. */
export interface ModifyCtx {
  rewrite: boolean;
  parts: Buffer[];
  bytes: number;
}

export class JsonRewriter implements ProxyHttp<ModifyCtx> {
  readonly #peer: HttpPeer;
  readonly #max: number;

  constructor(upstream: string, maxJsonBytes: number) {
    this.#peer = new HttpPeer(upstream);
    this.#max = maxJsonBytes;
  }

  newCtx(): ModifyCtx {
    return { rewrite: false, parts: [], bytes: 0 };
  }

  upstreamPeer(): HttpPeer {
    return this.#peer;
  }

  responseFilter(_s: Session, resp: ResponseHeader, ctx: ModifyCtx): void {
    const type = resp.getHeader('content-type') ?? '';
    const length = Number(resp.getHeader('content-length') ?? '0');
    ctx.rewrite =
      resp.status === 200 &&
      type.startsWith('application/json') &&
      !resp.hasHeader('content-encoding') &&
      length <= this.#max;
    if (ctx.rewrite) resp.removeHeader('content-length');
  }

  responseBodyFilter(
    _s: Session,
    body: Buffer | null,
    eos: boolean,
    ctx: ModifyCtx,
  ): Buffer | null | undefined {
    if (!ctx.rewrite) return undefined;
    if (body !== null) {
      ctx.bytes += body.length;
      if (ctx.bytes > this.#max) {
        throw PingoraError.explain(ErrorType.InternalError, `JSON body over ${this.#max} bytes`);
      }
      ctx.parts.push(Buffer.from(body));
    }
    if (!eos) return null;
    let data: unknown;
    try {
      data = JSON.parse(Buffer.concat(ctx.parts).toString('utf8'));
    } catch (cause) {
      throw PingoraError.because(ErrorType.InternalError, 'upstream sent invalid JSON', cause);
    }
    const rewritten = { proxied_by: 'pingora-ts', original: data };
    return Buffer.from(`${JSON.stringify(rewritten, null, 2)}\n`);
  }
}

/** Adds the rewriting proxy (and a demo API when none is configured) to `server`. */
export async function setupModifyResponse(server: Server) {
  const config = server.appConfig(modifyConfigSchema, 'modify_response');
  let upstream = config.upstream;
  if (upstream === '') {
    const demo = await startDemoApi();
    upstream = demo.address;
    server.addService(demoOriginService([demo], 'demo_origin'));
  }
  const proxy = new JsonRewriter(upstream, config.maxJsonBytes);
  const service = httpProxyService(server.configuration, proxy, {
    name: 'modify_response',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
