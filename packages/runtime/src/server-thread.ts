/**
 * The thread side of a ThreadPool: is this a server thread, which sockets
 * arrive for which listener, reporting ready, and counting a connection
 * closed so the main thread sees this thread's load.
 */
import type { Socket } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SharedTable } from './shared-table.ts';
import { THREAD_DATA_KEY, type ThreadControl, type ThreadData } from './thread-protocol.ts';

export interface ShutdownRequest {
  readonly graceful: boolean;
  readonly upgrade: boolean;
}

export class ServerThread {
  readonly index: number;
  readonly ownListeners: boolean;
  /** Shared with every thread of the pool. */
  readonly shared: SharedTable;
  /** Thread 0 runs what must run once per process (health checks) and publishes it here. */
  readonly leader: boolean;
  readonly #load: Int32Array;
  readonly #receivers = new Map<string, (socket: Socket) => void>();
  #onShutdown: ((req: ShutdownRequest) => void) | undefined;
  #pendingShutdown: ShutdownRequest | undefined;

  constructor(data: ThreadData) {
    this.index = data.index;
    this.ownListeners = data.ownListeners;
    this.shared = new SharedTable(data.shared);
    this.leader = data.index === 0;
    this.#load = data.load;
    parentPort?.on('message', (msg: ThreadControl) => this.#onMessage(msg));
  }

  /** Sockets for listener `key` go to `receive`. */
  receive(key: string, receive: (socket: Socket) => void): void {
    this.#receivers.set(key, receive);
  }

  /** Called on the main thread's shutdown request (at once if it already came). */
  onShutdown(handler: (req: ShutdownRequest) => void): void {
    this.#onShutdown = handler;
    if (this.#pendingShutdown !== undefined) handler(this.#pendingShutdown);
  }

  ready(): void {
    parentPort?.postMessage({ kind: 'ready' } satisfies ThreadControl);
  }

  #onMessage(msg: ThreadControl): void {
    if (msg.kind === 'socket') {
      const socket = msg.socket;
      const load = this.#load;
      const index = this.index;
      socket.once('close', () => Atomics.sub(load, index, 1));
      const receive = this.#receivers.get(msg.key);
      if (receive === undefined) socket.destroy();
      else receive(socket);
    } else if (msg.kind === 'shutdown') {
      const req = { graceful: msg.graceful, upgrade: msg.upgrade };
      this.#pendingShutdown = req;
      this.#onShutdown?.(req);
    }
  }
}

let current: ServerThread | undefined | null = null;

/** This thread's ServerThread when it was started by a ThreadPool, else undefined. */
export function serverThread(): ServerThread | undefined {
  if (current !== null) return current;
  const data = isMainThread
    ? undefined
    : (workerData as Record<string, ThreadData> | null)?.[THREAD_DATA_KEY];
  current = data === undefined ? undefined : new ServerThread(data);
  return current;
}
