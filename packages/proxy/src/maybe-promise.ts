/**
 * Phases may answer with a value or a promise (MaybePromise); the proxy
 * awaits only real promises, so synchronous filters cost no microtask or
 * promise allocation on the request path.
 */

/** True for a promise or any thenable. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
