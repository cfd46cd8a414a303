/**
 * A scripted raw-frame HTTP/2 origin that answers the first HEADERS it
 * sees with GOAWAY(NO_ERROR, last stream 0): the request was not processed
 * (node:http2's server cannot send a last stream id below what it received).
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { FrameType, frame } from '../../../../../tooling/test-h2-frames.ts';

export interface GoawayOrigin extends AsyncDisposable {
  readonly port: number;
  readonly server: Server;
}

export async function startGoawayOrigin(): Promise<GoawayOrigin> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write(frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0)));
    let buf = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!prefaceSeen) {
        if (buf.length < 24) return;
        buf = buf.subarray(24);
        prefaceSeen = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) return;
        const type = buf[3];
        const flags = buf[4] as number;
        if (type === FrameType.SETTINGS && (flags & 1) === 0) {
          socket.write(frame(FrameType.SETTINGS, 1, 0, Buffer.alloc(0)));
        } else if (type === FrameType.HEADERS) {
          const p = Buffer.alloc(8);
          p.writeUInt32BE(0, 0);
          p.writeUInt32BE(0, 4);
          socket.write(frame(FrameType.GOAWAY, 0, 0, p));
        }
        buf = buf.subarray(9 + len);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    server,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
        setTimeout(resolve, 200).unref();
      });
    },
  };
}
