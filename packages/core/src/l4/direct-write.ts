/**
 * Writing bytes that are only valid until the current read callback returns
 * (views of the shared read buffer, see direct-read.ts) without copying them:
 * they go to the socket's file descriptor at once, in this call, as libuv's
 * own first write attempt would; only what the kernel does not take is copied
 * and queued behind. Sockets this cannot apply to (TLS, a write already
 * queued, still connecting) get a copy of every byte through socket.write.
 */
import { writevSync } from 'node:fs';
import type { Socket } from 'node:net';

interface HandleFields {
  _handle?: { fd?: number } | null;
}

/** The socket's fd when bytes written to it now go out in order; -1 otherwise. */
function writableFd(socket: Socket): number {
  if (socket.connecting || socket.destroyed || socket.writableLength > 0) return -1;
  if (socket.writableCorked > 0 || socket.writableEnded) return -1;
  const fd = (socket as unknown as HandleFields)._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Writes `parts` in order, consuming them before returning (no reference to
 * them is kept). Returns socket.write's answer for what had to be queued, or
 * true when the kernel took everything.
 */
export function writeConsuming(socket: Socket, parts: readonly Buffer[]): boolean {
  let total = 0;
  for (const p of parts) total += p.length;
  let done = 0;
  const fd = writableFd(socket);
  if (fd >= 0) {
    try {
      done = writevSync(fd, parts as Buffer[]);
    } catch {
      // EAGAIN (a full send buffer), or an error the queued write below
      // meets again and reports through the socket's 'error' event.
      done = 0;
    }
    if (done >= total) return true;
  }
  const rest = Buffer.allocUnsafe(total - done);
  let o = 0;
  let skip = done;
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    o += p.copy(rest, o, skip);
    skip = 0;
  }
  return socket.write(rest);
}
