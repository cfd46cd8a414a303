/**
 * Peer server: the hand-rolled proxy many Node users write, node:http in
 * front of an undici `Pool` (keep-alive by default) with `pool.stream()`
 * writing the origin's body straight into the client response. Hop-by-hop
 * headers are dropped both ways, as RFC 9110 asks of a proxy.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { serverArgs } from './args.mjs';

const { port, originHost, originPort, connections } = serverArgs();

const pool = new Pool(`http://${originHost}:${originPort}`, {
  connections: connections * 2,
  pipelining: 1,
  keepAliveTimeout: 60_000,
});

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @returns {import('node:http').IncomingHttpHeaders}
 */
function endToEnd(headers) {
  /** @type {import('node:http').IncomingHttpHeaders} */
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

/** @type {import('undici').Dispatcher.StreamFactory<import('node:http').ServerResponse>} */
const writeHead = ({ statusCode, headers, opaque }) => {
  opaque.writeHead(statusCode, endToEnd(headers));
  return opaque;
};

createServer((req, res) => {
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.stream(
    {
      path: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: endToEnd(req.headers),
      body: hasBody ? req : null,
      opaque: res,
    },
    writeHead,
    (err) => {
      if (err === null) return;
      if (!res.headersSent) {
        res.writeHead(502).end();
      } else {
        res.destroy(err);
      }
    },
  );
}).listen(port, '127.0.0.1', 4096);
