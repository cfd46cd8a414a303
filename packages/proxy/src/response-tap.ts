/**
 * ResponseTap: how the cache sees an upstream response inside the Exchange
 * without the Exchange knowing about caching. The tap sees the head after
 * upstreamResponseFilter and each body piece after
 * upstreamResponseBodyFilter (Pingora's store point); it may divert the
 * response (a 304 revalidation or a stale-if-error answer served from cache).
 */
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';

export interface ResponseTap {
  /** Adjusts the request going upstream (HEAD -> GET, validators, no Range). */
  upstreamRequest(req: RequestHeader): void;
  /**
   * The upstream response head. Return true to forward it downstream, false
   * to divert: the exchange ends without writing anything downstream and
   * the tap answers the request from cache afterwards.
   */
  responseHeader(resp: ResponseHeader, endOfStream: boolean): boolean | Promise<boolean>;
  /**
   * True while the response is being stored: if the client goes away then,
   * the exchange keeps reading the upstream so the asset completes (readers
   * waiting on it are not cut off), as Pingora does.
   */
  readonly storing: boolean;
  /** A body piece (null with `eos` at the end): stores it, returns what goes downstream. */
  responseBody(body: Buffer | null, eos: boolean): Buffer | null;
}
