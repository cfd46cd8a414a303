/**
 * What the main thread and the server threads of a ThreadPool tell each
 * other, and what a thread finds in its workerData.
 */
import type { Socket } from 'node:net';

/** The workerData key a pool thread finds its ThreadData under. */
export const THREAD_DATA_KEY = '__pingoraTsThread';

export interface ThreadData {
  /** 0..threads-1 */
  readonly index: number;
  /** Open connections per thread; this thread owns `load[index]`. */
  readonly load: Int32Array;
  /** true: bind own SO_REUSEPORT listeners; false: receive sockets from main. */
  readonly ownListeners: boolean;
  /** The pool's SharedTable (health per backend, shared counters). */
  readonly shared: SharedArrayBuffer;
  /** Memory for named shared regions (e.g. a Rate's counters); int32 0 is the allocation mark. */
  readonly arena: SharedArrayBuffer;
}

export type ThreadControl =
  | { readonly kind: 'ready' }
  | { readonly kind: 'socket'; readonly key: string; readonly socket: Socket }
  | { readonly kind: 'shutdown'; readonly graceful: boolean; readonly upgrade: boolean }
  | { readonly kind: 'reload' };
