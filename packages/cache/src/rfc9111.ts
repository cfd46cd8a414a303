/**
 * @pingora-ts/cache/rfc9111: the request-side HTTP caching rules the proxy's
 * cache phases build on (request directives, conditional requests and 304s,
 * only-if-cached, invalidation by unsafe methods) and the HTTP-date codec.
 * Applications use the main entry's policies and HttpCache instead.
 */
export { formatHttpDate, parseHttpDate } from './http-date.ts';
export {
  invalidatedTargets,
  mergeNotModified,
  notModified,
  onlyIfCached,
  type RequestVerdict,
  requestVerdict,
  toNotModified,
} from './rfc9111-request.ts';
