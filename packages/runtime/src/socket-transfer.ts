/**
 * Whether this Node can move an accepted socket to another thread
 * (`postMessage(msg, [socket])`, Node 24.x on Unix). Where it cannot, a
 * net.Socket is no transferable at all (DataCloneError); where it can, an
 * unconnected one is refused for its state, which is what we probe.
 */
import { Socket } from 'node:net';
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
