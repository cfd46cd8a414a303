/**
 * The proxy's main entry is a deliberate list: HttpProxy, the ProxyHttp
 * phases' types and defaults, Session, and the helpers filters and logs use.
 * A new runtime export fails here on purpose: add it below if applications
 * need it; the proxy's own collaborators (exchange, request pump, cache tap,
 * sessionState) stay unexported.
 */
import { expect, it } from 'vitest';

const MAIN = [
  'DEFAULT_MAX_RETRIES',
  'FAILURE_CHAIN_LIMIT',
  'HttpProxy',
  'ProxyPhase',
  'RETRY_BUFFER_LIMIT',
  'Session',
  'addForwardedHeaders',
  'clientAbortChannel',
  'clientIp',
  'defaultErrorWhileProxy',
  'defaultFailToProxy',
  'errorStatus',
  'httpProxyService',
  'isClientAbort',
  'proxyFailureFields',
  'proxyLifecycleChannels',
  'proxyRequestChannel',
  'removeHopByHopHeaders',
  'serializeProxyError',
];

it('@pingora-ts/proxy exports exactly the application-facing names', async () => {
  const main = await import('../src/index.ts');
  expect(Object.keys(main).sort()).toEqual([...MAIN].sort());
});
