/**
 * Peer: a raw Node TCP relay (servers/node-tcp-relay.mjs), the practical
 * ceiling of one Node process. It opens one origin connection per client
 * connection, so its upstream count is the client's, per wrk run.
 */
import { startNodeServer, stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const nodeTcpRelay: Peer = {
  name: 'node-tcp-relay',
  kind: PeerKind.Ceiling,
  setup: 'node:net, each client socket piped to a new origin socket (no HTTP parsing)',
  tools: [],
  node: true,
  unavailable: () => undefined,
  start: (ctx) => startNodeServer('node-tcp-relay', 'node-tcp-relay.mjs', ctx),
  stop: stopNodeServer,
};
