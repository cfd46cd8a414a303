/**
 * Every peer the runner knows, in the order the report lists them: ours,
 * the native proxies, the Node ceiling, the Node proxies, then the caching
 * proxies (ours, nginx proxy_cache and Varnish, answering hits). A new row is a
 * new adapter file plus one line here.
 */
import type { Peer } from '../lib/peer.ts';
import { fastifyHttpProxy } from './fastify-http-proxy.ts';
import { haproxy } from './haproxy.ts';
import { httpProxy } from './http-proxy.ts';
import { nginx } from './nginx.ts';
import { nginxCache } from './nginx-cache.ts';
import { nodeTcpRelay } from './node-tcp-relay.ts';
import { pingoraTs, pingoraTsProcs2, pingoraTsThreads2 } from './pingora-ts.ts';
import { pingoraTsCache } from './pingora-ts-cache.ts';
import { undiciPool } from './undici-pool.ts';
import { varnishCache } from './varnish-cache.ts';

export const PEERS: readonly Peer[] = [
  pingoraTs,
  pingoraTsThreads2,
  pingoraTsProcs2,
  nginx,
  haproxy,
  nodeTcpRelay,
  undiciPool,
  fastifyHttpProxy,
  httpProxy,
  pingoraTsCache,
  nginxCache,
  varnishCache,
];
