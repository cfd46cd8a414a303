/**
 * Runs a user callback that may answer now or with a promise, without a
 * promise on the synchronous path, and funnels a throw or a rejection into
 * one error handler.
 */

export function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export function checkedResult<T>(
  run: () => T | Promise<T>,
  onValue: (value: T) => void,
  onError: (err: unknown) => void,
): void {
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (err) {
    onError(err);
    return;
  }
  if (isPromise(result)) (result as Promise<T>).then(onValue, onError);
  else onValue(result as T);
}
