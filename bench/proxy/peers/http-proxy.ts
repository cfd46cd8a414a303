/**
 * Peer: `http-proxy` (node-http-proxy) with a keep-alive `http.Agent`
 * (servers/http-proxy.mjs).
 */
import { startNodeServer, stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const httpProxy: Peer = {
  name: 'http-proxy',
  kind: PeerKind.NodeProxy,
  setup: 'http-proxy 1.18 on node:http, keep-alive http.Agent',
  tools: [],
  node: true,
  unavailable: () => undefined,
  start: (ctx) => startNodeServer('http-proxy', 'http-proxy.mjs', ctx),
  stop: stopNodeServer,
};
