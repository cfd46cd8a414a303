/**
 * Peer server: `http-proxy` on node:http, forwarding through a keep-alive
 * `http.Agent` as its docs recommend for throughput (without an agent it closes
 * every upstream connection after one request).
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { serverArgs } from './args.mjs';

const { port, originHost, originPort, connections } = serverArgs();

const agent = new Agent({
  keepAlive: true,
  maxSockets: connections * 2,
  maxFreeSockets: connections * 2,
});
const proxy = httpProxy.createProxyServer({ target: `http://${originHost}:${originPort}`, agent });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});

createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1', 4096);
