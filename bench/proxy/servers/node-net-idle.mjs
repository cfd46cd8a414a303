/**
 * Memory-benchmark floor: a bare node:net server that answers each request
 * on a connection with a fixed small response and otherwise holds the socket.
 * What 10,000 idle keep-alive connections cost it is what Node itself charges
 * per socket (handle, stream state, the read path), below any HTTP proxy.
 */
import { createServer } from 'node:net';
import { serverArgs } from './args.mjs';

const { port } = serverArgs();
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall');

createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    // One request per read is enough for this benchmark's client.
    if (chunk.includes('\r\n\r\n')) socket.write(RESPONSE);
  });
  socket.on('error', () => socket.destroy());
}).listen(port, '127.0.0.1', 4096);
