/**
 * The thread side of a ThreadPool: is this a server thread, which sockets
 * arrive for which listener, reporting ready, and counting a connection
 * closed so the main thread sees this thread's load.
 */
import type { Socket } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type SharedMemory, sharedRegion } from './shared-memory.ts';
import { SharedTable } from './shared-table.ts';
import { adoptTransferredSocket } from './socket-transfer.ts';
import { THREAD_DATA_KEY, type ThreadControl, type ThreadData } from './thread-protocol.ts';

export interface ShutdownRequest {
  readonly graceful: boolean;
  readonly upgrade: boolean;
}

export class ServerThread implements SharedMemory {
  readonly index: number;
  readonly ownListeners: boolean;
  /** Shared with every thread of the pool. */
  readonly shared: SharedTable;
  /** Thread 0 runs what must run once per process (health checks) and publishes it here. */
  readonly leader: boolean;
  readonly memberId: number;
  readonly #load: Int32Array;
  readonly #arena: Int32Array;
  readonly #receivers = new Map<string, (socket: Socket) => void>();
  #onShutdown: ((req: ShutdownRequest) => void) | undefined;
  #onReload: (() => void) | undefined;
  #pendingShutdown: ShutdownRequest | undefined;

  constructor(data: ThreadData) {
    this.index = data.index;
    this.ownListeners = data.ownListeners;
    this.shared = new SharedTable(data.shared);
    this.leader = data.index === 0;
    this.memberId = data.index + 2;
    this.#load = data.load;
    this.#arena = new Int32Array(data.arena);
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

  /**
   * The Int32Array named `name`, the same memory on every thread of the pool
   * (the first thread to ask allocates it, zeroed). Throws a RangeError when
   * the arena is full or `name` was allocated with another length.
   */
  sharedInt32(name: string, length: number): Int32Array {
    return sharedRegion(this.shared, this.#arena, name, length);
  }

  /** Called when the main thread asks for a reload (SIGHUP). */
  onReload(handler: () => void): void {
    this.#onReload = handler;
  }

  ready(): void {
    parentPort?.postMessage({ kind: 'ready' } satisfies ThreadControl);
  }

  #onMessage(msg: ThreadControl): void {
    if (msg.kind === 'socket') {
      const socket = adoptTransferredSocket(msg.socket);
      const load = this.#load;
      const index = this.index;
      socket.once('close', () => Atomics.sub(load, index, 1));
      const receive = this.#receivers.get(msg.key);
      if (receive === undefined) socket.destroy();
      else receive(socket);
    } else if (msg.kind === 'reload') {
      this.#onReload?.();
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
