/**
 * Peer: Fastify with `@fastify/http-proxy` and its default undici upstream
 * client (servers/fastify-http-proxy.mjs).
 */
import { startNodeServer, stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const fastifyHttpProxy: Peer = {
  name: 'fastify-http-proxy',
  kind: PeerKind.NodeProxy,
  setup: 'fastify 5 + @fastify/http-proxy 11 (reply-from, undici keep-alive)',
  tools: [],
  node: true,
  unavailable: () => undefined,
  start: (ctx) => startNodeServer('fastify-http-proxy', 'fastify-http-proxy.mjs', ctx),
  stop: stopNodeServer,
};
