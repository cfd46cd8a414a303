/**
 * ThreadPool (pingora-runtime's multi-threaded runtime for Node): N
 * worker_threads running the same entry module, each its own event loop.
 * Accepted sockets go to the threads in turn, skipping one that holds
 * clearly more open connections than the least loaded (counted in a
 * SharedArrayBuffer the threads update with Atomics). A thread
 * that dies is replaced; shutdown reaches every thread and waits for it.
 */
import type { Socket } from 'node:net';
import { type Transferable, Worker } from 'node:worker_threads';
import {
  mainSharedMemory,
  type SharedMemory,
  setMainSharedMemory,
  sharedRegion,
} from './shared-memory.ts';
import { SharedTable } from './shared-table.ts';
import { THREAD_DATA_KEY, type ThreadControl, type ThreadData } from './thread-protocol.ts';

export interface ThreadPoolOptions {
  readonly threads: number;
  /** The module every thread runs (the server's own entry). */
  readonly entry: string | URL;
  readonly argv?: readonly string[];
  readonly execArgv?: readonly string[];
  /** Threads bind their own SO_REUSEPORT listeners instead of receiving sockets. */
  readonly ownListeners: boolean;
  /** Keys of the SharedTable every thread sees (default 65536). */
  readonly sharedKeys?: number;
  /** Bytes for named shared regions (default 16 MiB). */
  readonly arenaBytes?: number;
  /** How long a thread may take to report ready. */
  readonly readyTimeoutMs: number;
  /** Told about a thread that died and what replaces it. */
  readonly onThreadExit?: (index: number, code: number, replaced: boolean) => void;
}

/** A thread is skipped while it holds more than the least loaded plus max(this, that count). */
const SKIP_SLACK = 8;

/** Why a pool did not start or a thread failed. */
export class ThreadPoolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ThreadPoolError';
  }
}

interface Slot {
  worker: Worker;
  ready: boolean;
  exited: Promise<number>;
}

export class ThreadPool implements SharedMemory {
  /** Open connections per thread (index = thread), shared with the threads. */
  readonly load: Int32Array;
  /** Shared by every thread: health per backend, shared counters. */
  readonly shared: SharedTable;
  readonly memberId = 1;
  readonly #arena: SharedArrayBuffer;
  readonly #options: ThreadPoolOptions;
  readonly #slots: Slot[] = [];
  /** The Node flags every thread starts with: the options' execArgv less what a worker refuses. */
  #execArgv: string[];
  #next = 0;
  #stopping = false;

  constructor(options: ThreadPoolOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    this.#options = options;
    this.#execArgv = [...(options.execArgv ?? [])];
    this.load = new Int32Array(new SharedArrayBuffer(4 * options.threads));
    this.shared = new SharedTable(options.sharedKeys ?? 65_536);
    this.#arena = new SharedArrayBuffer(options.arenaBytes ?? 16 * 1024 * 1024);
    setMainSharedMemory(this);
  }

  /** Region `name` of the memory every thread of this pool shares (see ServerThread.sharedInt32). */
  sharedInt32(name: string, length: number): Int32Array {
    return sharedRegion(this.shared, new Int32Array(this.#arena), name, length);
  }

  get size(): number {
    return this.#options.threads;
  }

  /** Thread ids (worker threadId) by index, for logs and tests. */
  get threadIds(): number[] {
    return this.#slots.map((s) => s.worker.threadId);
  }

  /** Starts every thread; resolves once each reported ready, rejects on the first failure. */
  async start(): Promise<void> {
    const readies: Promise<void>[] = [];
    for (let i = 0; i < this.#options.threads; i++) readies.push(this.#spawn(i));
    try {
      await Promise.all(readies);
    } catch (err) {
      await this.stop({ graceful: false }, 1_000);
      throw err;
    }
  }

  /**
   * Hands an accepted, not yet read socket to a thread: in turn, skipping a
   * thread that holds clearly more open connections than the least loaded
   * one (a stalled or busy thread), so equal threads get equal shares and a
   * slow one gets fewer. `key` names the listener it came from.
   */
  dispatch(key: string, socket: Socket): void {
    const load = this.load;
    const n = load.length;
    let min = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < n; i++) {
      if (this.#slots[i]?.ready !== true) continue;
      const l = Atomics.load(load, i);
      if (l < min) min = l;
    }
    if (min === Number.MAX_SAFE_INTEGER) {
      socket.destroy();
      return;
    }
    // "Clearly more": over twice the least loaded and at least 8 more, so
    // scheduling noise does not reorder equal threads but a stalled one is skipped.
    const limit = min + Math.max(SKIP_SLACK, min);
    let best = -1;
    for (let k = 0, i = this.#next; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      if (this.#slots[i]?.ready === true && Atomics.load(load, i) <= limit) {
        best = i;
        break;
      }
    }
    if (best < 0) {
      socket.destroy();
      return;
    }
    this.#next = (best + 1) % n;
    Atomics.add(load, best, 1);
    const slot = this.#slots[best] as Slot;
    try {
      slot.worker.postMessage({ kind: 'socket', key, socket } satisfies ThreadControl, [
        socket as unknown as Transferable,
      ]);
    } catch {
      Atomics.sub(load, best, 1);
      socket.destroy();
    }
  }

  /** Asks every thread to reload what can change in place (SIGHUP: TLS certificates). */
  reload(): void {
    for (const s of this.#slots) s.worker.postMessage({ kind: 'reload' } satisfies ThreadControl);
  }

  /**
   * Tells every thread to shut down (graceful or fast) and resolves once all
   * have exited; threads still running after `timeoutMs` are terminated.
   */
  async stop(how: { graceful: boolean; upgrade?: boolean }, timeoutMs: number): Promise<void> {
    this.#stopping = true;
    if (mainSharedMemory() === this) setMainSharedMemory(undefined);
    const control: ThreadControl = {
      kind: 'shutdown',
      graceful: how.graceful,
      upgrade: how.upgrade === true,
    };
    for (const s of this.#slots) s.worker.postMessage(control);
    const all = Promise.all(this.#slots.map((s) => s.exited));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const r = await Promise.race([all, late]);
    clearTimeout(timer);
    if (r === 'late') await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(index: number): Promise<void> {
    const data: ThreadData = {
      index,
      load: this.load,
      ownListeners: this.#options.ownListeners,
      shared: this.shared.buffer,
      arena: this.#arena,
    };
    const start = () =>
      new Worker(this.#options.entry, {
        argv: [...(this.#options.argv ?? [])],
        execArgv: this.#execArgv,
        workerData: { [THREAD_DATA_KEY]: data },
        stdout: false,
        stderr: false,
      });
    let worker: Worker;
    try {
      worker = start();
    } catch (err) {
      // Process-wide flags (V8's heap sizes, --expose-gc, --title) are refused in a worker's
      // execArgv; V8's are in effect for every thread already. Start without them.
      const refused = refusedExecArgv(err);
      if (refused === undefined) throw err;
      this.#execArgv = this.#execArgv.filter((f) => !refused.has(f));
      worker = start();
    }
    const ready = Promise.withResolvers<void>();
    ready.promise.catch(() => {});
    const slot: Slot = {
      worker,
      ready: false,
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    this.#slots[index] = slot;
    const timer = setTimeout(() => {
      ready.reject(
        new ThreadPoolError(`thread ${index} not ready within ${this.#options.readyTimeoutMs} ms`),
      );
      void worker.terminate();
    }, this.#options.readyTimeoutMs);
    worker.on('message', (msg: ThreadControl) => {
      if (msg.kind === 'ready') {
        clearTimeout(timer);
        slot.ready = true;
        ready.resolve();
      }
    });
    // An uncaught error ends the thread; 'exit' follows and decides about a replacement.
    worker.on('error', () => {});
    worker.once('exit', (code) => {
      clearTimeout(timer);
      slot.ready = false;
      Atomics.store(this.load, index, 0);
      // No-op once ready: then only a replacement is decided.
      ready.reject(
        new ThreadPoolError(`thread ${index} exited (code ${code}) before it was ready`),
      );
      const replace = !this.#stopping && this.#slots[index] === slot;
      this.#options.onThreadExit?.(index, code, replace);
      if (replace) this.#spawn(index).catch(() => {});
    });
    return ready.promise;
  }
}

/** The flags named by Node's ERR_WORKER_INVALID_EXEC_ARGV, or undefined for any other error. */
function refusedExecArgv(err: unknown): Set<string> | undefined {
  if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const listed = /flags: (.*)$/.exec((err as Error).message)?.[1];
  if (listed === undefined) return undefined;
  return new Set(listed.split(', '));
}
