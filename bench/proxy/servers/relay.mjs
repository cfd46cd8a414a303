/**
 * The byte relay of the two relay peers (TCP and TLS): pipes a client
 * connection to a new origin socket both ways, and closes both when either
 * side ends or fails.
 */
import { connect } from 'node:net';

/**
 * @param {import('node:net').Socket} client
 * @param {string} originHost
 * @param {number} originPort
 */
export function relay(client, originHost, originPort) {
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
}
