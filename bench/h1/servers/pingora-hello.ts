/**
 * The hello-world server on pingora-ts's HTTP/1 codec: a plain net server
 * handing each connection to HttpServer(serveHttp(...)). Prints its port.
 */
import net from 'node:net';
import { responseHead, Stream, serveHttp } from '@pingora-ts/core';

const body = Buffer.from('Hello, world!');
const app = serveHttp(() => ({
  header: responseHead(200, { 'Content-Type': 'text/plain' }),
  body,
}));
const shutdown = new AbortController();
const server = net.createServer({ noDelay: true }, (socket) => {
  Promise.resolve(app.processNewConnection(new Stream(socket), shutdown.signal)).then(
    () => socket.end(),
    () => socket.destroy(),
  );
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }));
});
process.on('SIGTERM', () => process.exit(0));
