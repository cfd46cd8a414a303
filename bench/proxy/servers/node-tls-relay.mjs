/**
 * Peer server for the TLS section: the TLS twin of node-tcp-relay.mjs, a
 * node:tls server piping each client connection to a new origin socket. No
 * HTTP work at all: the floor of what node:tls costs one Node process per
 * handshake and per byte, not a proxy to beat. Extra arguments: certificate
 * path, key path, cipher string, and `tickets` or `no-tickets`.
 */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { serverArgs } from './args.mjs';
import { relay } from './relay.mjs';

const { port, originHost, originPort } = serverArgs();
const [certPath, keyPath, ciphers, tickets] = process.argv.slice(5);
if (certPath === undefined || keyPath === undefined || ciphers === undefined) {
  process.stderr.write(
    'usage: <port> <origin> <connections> <cert> <key> <ciphers> [no-tickets]\n',
  );
  process.exit(2);
}

createServer(
  {
    cert: readFileSync(certPath),
    key: readFileSync(keyPath),
    ciphers,
    honorCipherOrder: true,
    minVersion: 'TLSv1.2',
    ...(tickets === 'no-tickets' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
  },
  (client) => {
    client.setNoDelay(true);
    relay(client, originHost, originPort);
  },
).listen(port, '127.0.0.1', 4096);
