/**
 * Moving an accepted socket to another thread: whether this Node can
 * (`postMessage(msg, [socket])`, Node 24.x on Unix; where it cannot, a
 * net.Socket is no transferable at all, and where it can, an unconnected one
 * is refused for its state, which is what we probe), and the receiving side's
 * adoption of what arrives.
 */
import { Socket, type SocketConstructorOpts } from 'node:net';
import { MessageChannel, type Transferable } from 'node:worker_threads';

let cached: boolean | undefined;

export function socketTransferSupported(): boolean {
  if (cached !== undefined) return cached;
  const { port1, port2 } = new MessageChannel();
  const socket = new Socket();
  try {
    port1.postMessage(socket, [socket as unknown as Transferable]);
    // Accepted an unconnected socket: not the transfer we know; do not rely on it.
    cached = false;
  } catch (err) {
    cached = (err as { code?: string }).code === 'ERR_WORKER_HANDLE_NOT_TRANSFERABLE';
  } finally {
    socket.destroy();
    port1.close();
    port2.close();
  }
  return cached;
}

/** Node's own fields of a net.Socket that adoption moves (internal, stable since Node 0.x). */
interface HandleField {
  _handle?: object | null;
}

/**
 * The socket to serve a transferred connection with: a fresh Socket around
 * the handle that arrived, paused and unread as the acceptor left it. Node
 * rebuilds a transferred socket without its constructor and its properties
 * end up in dictionary mode (V8's %HasFastProperties is false), so every
 * property read the request path makes on it misses V8's inline caches: with
 * `threads: 2` that was about 10% more CPU per proxied request than a socket
 * accepted on the thread itself (bench/proxy/README.md, Threads). A socket
 * built by the constructor has the same shape as every other socket of the
 * thread. Like the received one it is unread, and the first 'data' listener,
 * pipe() or read() starts the flow. Returns `received` itself when it holds
 * no handle.
 */
export function adoptTransferredSocket(received: Socket): Socket {
  const fields = received as unknown as HandleField;
  const handle = fields._handle;
  if (handle == null) return received;
  // The handle now belongs to the new socket; the received shell is dropped unread.
  fields._handle = null;
  const options = {
    handle,
    allowHalfOpen: received.allowHalfOpen,
    readable: true,
    writable: true,
    // The handle stays stopped, as the acceptor left it.
    pauseOnCreate: true,
  } as SocketConstructorOpts;
  const socket = new Socket(options);
  // Out of the explicit pause, as received: the first 'data' listener, pipe() or read() starts the flow.
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  return socket;
}
