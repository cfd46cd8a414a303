/**
 * Direct socket reads: a plain TCP or Unix socket hands what it reads to one
 * synchronous callback, read into a buffer shared by every socket in the
 * process, instead of allocating a fresh 64 KiB buffer per read and passing
 * it through the Readable stream machinery. This is Node's own user-buffer
 * read mode (the documented `onread` option of `net.connect`), switched on
 * for sockets Node creates itself (accepted ones) the same way that option
 * does. TLS sockets over a TCP socket qualify too: node:tls hands each
 * decrypted piece (up to 16 KiB) to the same callback. The callback must copy
 * whatever it keeps past its return.
 *
 * Sockets the mode does not fit (wrapped streams, a socket with bytes
 * already buffered in its Readable) are refused: the caller reads them
 * through 'data' events. `endDirectReads` turns a socket back into an
 * ordinary stream (what it reads from then on is copied into the Readable),
 * for tunnels that pipe it after the HTTP session lets go.
 */
import { Socket } from 'node:net';

/** Receives `buf[0, n)` (Node's argument order); the bytes are only valid until it returns. */
export type DirectReadCallback = (n: number, buf: Buffer) => void;

/**
 * One read buffer for the whole process (reads are delivered one at a time).
 * Larger than Node's 64 KiB per-read allocation: it costs no memory per
 * connection, and a 64 KiB body with its head arrives in one read.
 */
const SHARED = Buffer.allocUnsafe(256 * 1024);

interface ModeKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/** The socket fields behind the `onread` option, found on a socket created with it. */
const KEYS: ModeKeys | undefined = findModeKeys();

function findModeKeys(): ModeKeys | undefined {
  const probe = new Socket({ onread: { buffer: Buffer.alloc(1), callback: () => true } });
  const bySymbol = new Map<string, symbol>();
  for (const s of Object.getOwnPropertySymbols(probe)) {
    if (s.description !== undefined) bySymbol.set(s.description, s);
  }
  probe.destroy();
  const buffer = bySymbol.get('kBuffer');
  const callback = bySymbol.get('kBufferCb');
  const generator = bySymbol.get('kBufferGen');
  if (buffer === undefined || callback === undefined || generator === undefined) return undefined;
  return { buffer, callback, generator };
}

interface StreamHandle {
  useUserBuffer?: (buf: Uint8Array) => void;
  constructor: { name: string };
}

type Fields = Record<symbol, unknown> & { _handle?: StreamHandle | null };

/** True when this Node supports direct reads at all. */
export const directReadsAvailable = KEYS !== undefined;

/**
 * Switches `socket` to direct reads delivered to `onRead`. Returns false
 * (and changes nothing) when the socket does not allow it.
 */
export function startDirectReads(socket: Socket, onRead: DirectReadCallback): boolean {
  if (KEYS === undefined || socket.readableLength > 0 || socket.destroyed) return false;
  const fields = socket as unknown as Fields;
  const handle = fields._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function') return false;
  const kind = handle.constructor.name;
  if (kind !== 'TCP' && kind !== 'Pipe' && kind !== 'TLSWrap') return false;
  if (fields[KEYS.buffer] || fields[KEYS.generator]) return false; // already in the mode
  fields[KEYS.buffer] = SHARED;
  fields[KEYS.callback] = onRead;
  handle.useUserBuffer(SHARED);
  return true;
}

/**
 * Makes a socket switched by startDirectReads an ordinary Readable again:
 * each read is copied and pushed, with the stream's own backpressure.
 */
export function endDirectReads(socket: Socket): void {
  if (KEYS === undefined) return;
  const fields = socket as unknown as Fields;
  if (fields[KEYS.buffer] !== SHARED) return;
  // Returning false stops reading until the consumer asks for more (Socket#_read).
  fields[KEYS.callback] = (n: number, buf: Buffer) => socket.push(Buffer.from(buf.subarray(0, n)));
}

/**
 * True when `buf` is a view of the shared read buffer: its bytes are only
 * valid until the read callback that delivered them returns. A writer that
 * cannot hand such bytes to the kernel at once must copy them.
 */
export function isDirectReadView(buf: Buffer): boolean {
  return buf.buffer === SHARED.buffer;
}
