/**
 * Peer: node:http in front of an undici `Pool` with `pool.stream()`, the
 * hand-rolled undici proxy (servers/undici-pool.mjs).
 */
import { startNodeServer, stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const undiciPool: Peer = {
  name: 'undici-pool',
  kind: PeerKind.NodeProxy,
  setup: 'node:http + undici 8 Pool.stream (keep-alive, 2x client connections)',
  tools: [],
  node: true,
  unavailable: () => undefined,
  start: (ctx) => startNodeServer('undici-pool', 'undici-pool.mjs', ctx),
  stop: stopNodeServer,
};
