/**
 * The in-process demo gRPC service the sample starts when no upstream is
 * configured: a node:http2 (core API) h2c server that answers every method
 * with the request's messages echoed back and `grpc-status: 0` in trailers.
 */
import { once } from 'node:events';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface DemoGrpc {
  readonly address: string;
  close(): Promise<void>;
}

export async function startDemoGrpc(): Promise<DemoGrpc> {
  const server = createServer({ settings: { maxConcurrentStreams: 128 } });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    if (!String(headers['content-type']).startsWith('application/grpc')) {
      stream.respond({ ':status': 415 });
      stream.end();
      return;
    }
    stream.respond(
      { ':status': 200, 'content-type': String(headers['content-type']) },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    // The request's length-prefixed messages are valid response messages as they are.
    stream.pipe(stream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
