/**
 * Peer server: a raw TCP relay in Node, each client socket piped to its own
 * new origin socket. It does no HTTP work at all, so it is the practical
 * ceiling of one Node process moving these bytes, not a proxy to beat.
 */
import { createServer } from 'node:net';
import { serverArgs } from './args.mjs';
import { relay } from './relay.mjs';

const { port, originHost, originPort } = serverArgs();

createServer({ noDelay: true }, (client) => relay(client, originHost, originPort)).listen(
  port,
  '127.0.0.1',
  4096,
);
