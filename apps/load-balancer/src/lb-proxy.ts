/**
 * The load balancer's ProxyHttp: round robin over healthy upstreams,
 * failing over to another upstream when a connection cannot be made, with
 * X-Forwarded-For/Proto added for the origins. The settings schema is the
 * `load_balancer` section of the configuration file.
 */
import { configField, defineConfigSchema, HttpPeer, parseSocketAddr } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';
import type { LoadBalancer } from '@pingora-ts/load-balancing';
import { addForwardedHeaders, type ProxyHttp, type Session } from '@pingora-ts/proxy';

function checkAddr(addr: string): string | undefined {
  try {
    return parseSocketAddr(addr).kind === 'inet' ? undefined : 'expected ip:port';
  } catch {
    return `"${addr}" is not "ip:port" or "[ipv6]:port"`;
  }
}

export const lbConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6188'], maxItems: 64, item: checkAddr }),
  upstreams: configField.stringList({ default: [], maxItems: 1024, item: checkAddr }),
  /** Empty: TCP connect checks. A path such as `/health`: HTTP GET checks expecting 200. */
  healthCheckPath: configField.string({ key: 'health_check_path', default: '' }),
  healthCheckIntervalSeconds: configField.number({
    key: 'health_check_interval_seconds',
    default: 1,
    min: 0.05,
    max: 3600,
  }),
});

export type LbConfig = ReturnType<typeof lbConfigSchema.read>;

/** Per request: the upstreams already tried, so a retry goes elsewhere. */
export interface LbCtx {
  tried: string[];
}

export class LbProxy implements ProxyHttp<LbCtx> {
  readonly #lb: LoadBalancer;
  /** One HttpPeer per backend, made once: its options and reuse hash are then reused. */
  readonly #peers = new Map<string, HttpPeer>();

  constructor(lb: LoadBalancer) {
    this.#lb = lb;
  }

  newCtx(): LbCtx {
    return { tried: [] };
  }

  upstreamPeer(_session: Session, ctx: LbCtx): HttpPeer {
    const tried = ctx.tried;
    const backend =
      tried.length === 0
        ? this.#lb.select('')
        : this.#lb.selectWith('', 256, (b, ready) => ready && !tried.includes(b.addr));
    if (backend === undefined) throw PingoraError.httpStatus(502, 'no healthy upstream');
    tried.push(backend.addr);
    let peer = this.#peers.get(backend.addr);
    if (peer === undefined) {
      // Bounded by the backend set: discovery caps it (MAX_BACKENDS).
      peer = new HttpPeer(backend.socketAddr);
      this.#peers.set(backend.addr, peer);
    }
    return peer;
  }

  failToConnect(_s: Session, _peer: HttpPeer, _ctx: LbCtx, e: PingoraError): PingoraError {
    // Nothing reached the upstream: trying another one is always safe.
    return e.withRetry(true);
  }

  upstreamRequestFilter(session: Session, req: RequestHeader): void {
    addForwardedHeaders(req, session.digest.peerAddr);
  }
}
