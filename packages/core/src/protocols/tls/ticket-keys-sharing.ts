/**
 * Where TicketKeys find the memory the server threads share: on a server
 * thread at once; on the main thread once its ThreadPool exists, so keys
 * built while the configuration was read (before the pool) are written to
 * shared memory by the main thread before any server thread starts.
 */
import { isMainThread } from 'node:worker_threads';
import {
  mainSharedMemory,
  type SharedMemory,
  SharedSecret,
  serverThread,
} from '@pingora-ts/runtime';

interface Bindable {
  bind(memory: SharedMemory): void;
}

/** Main thread: keys built before a pool existed (weakly held: a dropped key is not kept). */
const waiting = new Set<WeakRef<Bindable>>();

/** Binds `keys` to the shared memory of this thread now, or once the main thread's pool exists. */
export function bindWhenShared(keys: Bindable): void {
  const memory = serverThread() ?? mainSharedMemory();
  if (memory !== undefined) {
    keys.bind(memory);
    return;
  }
  if (!isMainThread) return;
  if (waiting.size >= 64) {
    for (const ref of waiting) if (ref.deref() === undefined) waiting.delete(ref);
  }
  waiting.add(new WeakRef(keys));
}

/** Main thread, once its pool exists and before any thread starts: every waiting key joins it. */
export function bindWaitingTicketKeys(memory: SharedMemory): void {
  for (const ref of waiting) ref.deref()?.bind(memory);
  waiting.clear();
}

/** The shared secret of `bytes` bytes named `name`. */
export function shareKey(memory: SharedMemory, name: string, bytes: number): SharedSecret {
  const region = memory.sharedInt32(`tls-ticket-keys/${name}`, SharedSecret.cellsFor(bytes));
  return new SharedSecret(region, bytes);
}
