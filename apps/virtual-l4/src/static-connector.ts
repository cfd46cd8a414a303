/**
 * A custom L4 connector (Pingora's virtual_l4.rs): each connection is a
 * VirtualSocket whose far side is this code, not a TCP peer. It answers the
 * first request head it is sent with a static response and closes, as the
 * example's StaticVirtualSocket does. Real uses put an in-process service, a
 * tunnel or a message queue on the far side.
 */
import { type L4Connect, VirtualSocket } from '@pingora-ts/core';

/** A request head larger than this is refused (the socket is destroyed). */
const MAX_HEAD_BYTES = 16 * 1024;

export class StaticConnector implements L4Connect {
  readonly name = 'static-virtual';
  readonly #response: Buffer;
  /** Connections opened so far. */
  connections = 0;

  constructor(body: string) {
    this.#response = Buffer.from(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  connect(): VirtualSocket {
    this.connections++;
    const response = this.#response;
    let head = '';
    let answered = false;
    return new VirtualSocket({
      onWrite(chunk, socket) {
        if (answered) return; // a request body, ignored
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          answered = true;
          socket.deliver(response);
          socket.finish();
        } else if (head.length > MAX_HEAD_BYTES) {
          socket.destroy();
        }
      },
    });
  }
}
