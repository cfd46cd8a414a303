/**
 * Where accepted connections go when the server runs on several threads:
 * on the main thread (work stealing) each admitted socket is dispatched to a
 * server thread, unread; on a server thread the listeners receive those
 * sockets instead of binding, or bind their own SO_REUSEPORT socket.
 */
import type { Socket } from 'node:net';
import { type ServerThread, serverThread } from '@pingora-ts/runtime';

export interface ThreadRouting {
  /** Main thread, work stealing: hands an admitted socket to a thread. */
  dispatch: ((key: string, socket: Socket) => void) | undefined;
  /** This server thread, when the process runs several. */
  readonly thread: ServerThread | undefined;
}

export const threadRouting: ThreadRouting = {
  dispatch: undefined,
  get thread() {
    return serverThread();
  },
};
