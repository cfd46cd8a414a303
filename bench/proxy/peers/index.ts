/**
 * Every peer the runner knows, in the order the report lists them: ours,
 * the native proxies, the Node ceiling, then the Node proxies. A new row is a
 * new adapter file plus one line here.
 */
import type { Peer } from '../lib/peer.ts';
import { fastifyHttpProxy } from './fastify-http-proxy.ts';
import { haproxy } from './haproxy.ts';
import { httpProxy } from './http-proxy.ts';
import { nginx } from './nginx.ts';
import { nodeTcpRelay } from './node-tcp-relay.ts';
import { pingoraTs, pingoraTsThreads2 } from './pingora-ts.ts';
import { undiciPool } from './undici-pool.ts';

export const PEERS: readonly Peer[] = [
  pingoraTs,
  pingoraTsThreads2,
  nginx,
  haproxy,
  nodeTcpRelay,
  undiciPool,
  fastifyHttpProxy,
  httpProxy,
];
