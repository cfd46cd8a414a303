/**
 * Raw HTTP/2 frames over a plain TCP socket, for abuse tests that a
 * well-behaved client library will not send: the preface, SETTINGS, a
 * minimal HPACK-encoded GET, RST_STREAM, CONTINUATION; and a reader that
 * notices the GOAWAY frame the server answers with.
 */
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FrameType = { HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 };

export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** GET / on scheme http, authority `a`: static-table indices and one literal (no indexing). */
export const GET_BLOCK = Buffer.from([0x82, 0x86, 0x84, 0x01, 0x01, 0x61]);

/** HEADERS (END_STREAM | END_HEADERS) of GET_BLOCK. */
export function getHeaders(streamId: number): Buffer {
  return frame(FrameType.HEADERS, 0x5, streamId, GET_BLOCK);
}

/** RST_STREAM CANCEL (8). */
export function rstCancel(streamId: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(8, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export interface RawH2 {
  readonly socket: Socket;
  /** Resolves with the GOAWAY's error code (or -1 if the socket closed without one). */
  readonly goaway: Promise<number>;
}

/** Connects, sends the preface and an empty SETTINGS, and watches for GOAWAY. */
export async function rawH2(port: number): Promise<RawH2> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0))]));
  const goaway = new Promise<number>((resolve) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        if (buf[3] === FrameType.GOAWAY) resolve(buf.readUInt32BE(9 + 4));
        buf = buf.subarray(9 + len);
      }
    });
    socket.on('close', () => resolve(-1));
  });
  return { socket, goaway };
}
