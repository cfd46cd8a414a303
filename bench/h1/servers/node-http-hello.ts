/**
 * The same hello-world server on node:http (llhttp, IncomingMessage and
 * ServerResponse), with the same response head fields. Prints its port.
 */
import http from 'node:http';
import type net from 'node:net';

const body = Buffer.from('Hello, world!');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }));
});
process.on('SIGTERM', () => process.exit(0));
