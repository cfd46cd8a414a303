/**
 * Writing bytes that are only valid until the current read callback returns
 * (views of the shared read buffer, see direct-read.ts) without copying them:
 * they go to the socket's file descriptor at once, in this call, as libuv's
 * own first write attempt would; only what the kernel does not take is copied
 * and queued behind. Sockets this cannot apply to (TLS, a write already
 * queued, still connecting) get a copy of every byte through socket.write.
 */
import { writeSync, writevSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * Buffers for what the kernel did not take, reused once written: a slow peer
 * makes every forwarded chunk leave a remainder, and fresh buffers for them
 * would pile up as garbage outside the V8 heap until a full collection.
 * At most SPARES_MAX idle ones are kept (2 MiB).
 */
const SPARE_SIZE = 256 * 1024;
const SPARE_MIN = 16 * 1024;
const SPARES_MAX = 8;
const SPARES: Buffer[] = [];

interface HandleFields {
  _handle?: { fd?: number } | null;
}

/**
 * The one scratch buffer small writes are assembled in (writeScratch): its
 * bytes are consumed before the call that filled it returns, so a thread
 * needs only one, and a small response costs no Buffer or write request.
 */
const SCRATCH = Buffer.allocUnsafeSlow(16 * 1024 + 4096);

/** The thread's scratch buffer for writeScratch, when `length` bytes fit in it. */
export function scratchFor(socket: Socket, length: number): Buffer | undefined {
  return length <= SCRATCH.length && writableFd(socket) >= 0 ? SCRATCH : undefined;
}

/**
 * Writes `scratch[0, length)` (the buffer scratchFor gave) straight to the
 * socket's fd; what the kernel does not take is copied and queued. Returns
 * what writeConsuming returns.
 */
export function writeScratch(socket: Socket, scratch: Buffer, length: number): boolean {
  const fd = writableFd(socket);
  let done = 0;
  if (fd >= 0) {
    try {
      done = writeSync(fd, scratch, 0, length);
    } catch {
      done = 0; // EAGAIN, or an error the queued write meets again (see writeConsuming)
    }
    if (done >= length) return true;
  }
  const rest = Buffer.allocUnsafe(length - done);
  scratch.copy(rest, 0, done, length);
  return socket.write(rest);
}

/** The socket's fd when bytes written to it now go out in order; -1 otherwise. */
function writableFd(socket: Socket): number {
  // A TLS socket's handle answers with the fd of the TCP connection under it:
  // bytes written there would bypass the encryption.
  if ((socket as { encrypted?: boolean }).encrypted === true) return -1;
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
  const n = total - done;
  const spare =
    n > SPARE_MIN && n <= SPARE_SIZE
      ? (SPARES.pop() ?? Buffer.allocUnsafeSlow(SPARE_SIZE))
      : undefined;
  const rest = spare === undefined ? Buffer.allocUnsafe(n) : spare.subarray(0, n);
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
  if (spare === undefined) return socket.write(rest);
  // Back to the spares once the socket is done with it (written or failed).
  return socket.write(rest, () => {
    if (SPARES.length < SPARES_MAX) SPARES.push(spare);
  });
}
