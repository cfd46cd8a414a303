/**
 * Peer server: a raw TCP relay in Node, each client socket piped to its own
 * new origin socket. It does no HTTP work at all, so it is the practical
 * ceiling of one Node process moving these bytes, not a proxy to beat.
 */
import { connect, createServer } from 'node:net';
import { serverArgs } from './args.mjs';

const { port, originHost, originPort } = serverArgs();

createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: originHost, port: originPort, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.once('error', close);
  upstream.once('error', close);
  client.once('close', close);
  upstream.once('close', close);
}).listen(port, '127.0.0.1', 4096);
