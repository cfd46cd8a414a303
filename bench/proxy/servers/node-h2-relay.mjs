/**
 * Peer server for the HTTP/2 section: the Node ceiling, a bare node:http2
 * core-API h2c server ('stream' + respond, no compat layer) relaying each
 * stream to the HTTP/1.1 origin through an undici Pool. No hop-by-hop
 * handling beyond what h2 forbids: the least a Node h2 proxy can do. With a
 * certificate and key path after the usual arguments it serves h2 over TLS
 * (createSecureServer, ALPN h2) instead of h2c.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer, createServer } from 'node:http2';
import { Pool } from 'undici';
import { serverArgs } from './args.mjs';

const { port, originHost, originPort, connections } = serverArgs();
const pool = new Pool(`http://${originHost}:${originPort}`, {
  connections: connections * 2,
  keepAliveTimeout: 60_000,
});

const [certPath, keyPath] = process.argv.slice(5);
const settings = { maxConcurrentStreams: 128 };
const server =
  certPath === undefined || keyPath === undefined
    ? createServer({ settings })
    : createSecureServer({
        settings,
        cert: readFileSync(certPath),
        key: readFileSync(keyPath),
        ALPNProtocols: ['h2'],
      });
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  pool.stream(
    { path: String(headers[':path']), method: String(headers[':method']) },
    ({ statusCode, headers: h }) => {
      const out = { ':status': statusCode };
      for (const name in h) {
        if (name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding')
          out[name] = h[name];
      }
      stream.respond(out);
      return stream;
    },
    (err) => {
      if (err && !stream.destroyed) stream.close(2);
    },
  );
});
server.listen(port, '127.0.0.1');
