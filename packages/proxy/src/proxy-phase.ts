/**
 * ProxyPhase: which step of a request the proxy is in, kept on the Session
 * (one string assignment per step) so that error logs, Sentry reports and
 * traces can say where a request failed.
 */

export const ProxyPhase = {
  /** earlyRequestFilter and the downstream modules' request filters. */
  EarlyRequestFilter: 'early_request_filter',
  RequestFilter: 'request_filter',
  ProxyUpstreamFilter: 'proxy_upstream_filter',
  UpstreamPeer: 'upstream_peer',
  /** Connecting to (or taking from the pool) the upstream connection. */
  Connect: 'connect',
  ConnectedToUpstream: 'connected_to_upstream',
  UpstreamRequestFilter: 'upstream_request_filter',
  /** The duplex exchange: request body up, response head and body down. */
  Proxy: 'proxy',
  UpstreamResponseFilter: 'upstream_response_filter',
  ResponseFilter: 'response_filter',
  /** Answering a failure (failToProxy). */
  FailToProxy: 'fail_to_proxy',
  Logging: 'logging',
} as const;
export type ProxyPhase = (typeof ProxyPhase)[keyof typeof ProxyPhase];
