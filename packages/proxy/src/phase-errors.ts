/**
 * Errors from user phases name their phase: HttpProxy wraps each phase the
 * user's ProxyHttp implements (once, at construction) so that whatever one
 * throws or rejects with becomes a PingoraError whose context starts with
 * `phase requestFilter` (or `upstreamPeer`, ...). The log line of a failed
 * request then says where user code failed. Phases the user did not
 * implement stay absent, so the proxy still skips them.
 */
import { toPingoraError } from '@pingora-ts/error';
import { isPromise } from './maybe-promise.ts';
import type { ProxyHttp } from './proxy-http.ts';

/** Not phases: called bound to `inner` as they are. */
const UNWRAPPED = new Set(['newCtx', 'initDownstreamModules']);

type Phase = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => unknown;

/** The error `err` as a PingoraError whose context names `phase` (once). */
export function inPhase(err: unknown, phase: string): never {
  const e = toPingoraError(err);
  const label = `phase ${phase}`;
  if (e.context !== label && e.context?.startsWith(`${label}: `) !== true) e.moreContext(label);
  throw e;
}

function wrapPhase(inner: object, name: string, fn: Phase): Phase {
  const reject = (err: unknown) => inPhase(err, name);
  // Fixed arity: no arguments array per call (phases take at most five).
  return (a, b, c, d, e) => {
    let r: unknown;
    try {
      r = fn.call(inner, a, b, c, d, e);
    } catch (err) {
      inPhase(err, name);
    }
    return isPromise(r) ? r.then(undefined, reject) : r;
  };
}

/**
 * A view of `inner` whose phase methods name their phase in what they throw;
 * every other property reads through to `inner`, and `this` in a phase is `inner`.
 */
export function withPhaseNames<Ctx>(inner: ProxyHttp<Ctx>): ProxyHttp<Ctx> {
  const view = Object.create(inner) as Record<string, unknown>;
  const seen = new Set<string>();
  // Bounded by the prototype chain of a user object (stops at Object.prototype).
  for (let o: object | null = inner; o !== null && o !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (seen.has(name) || name === 'constructor') continue;
      seen.add(name);
      const value = (inner as unknown as Record<string, unknown>)[name];
      if (typeof value !== 'function') continue;
      // Bound to `inner` either way, so phases may use the user's #private fields.
      view[name] = UNWRAPPED.has(name)
        ? (value as Phase).bind(inner)
        : wrapPhase(inner, name, value as Phase);
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return view as unknown as ProxyHttp<Ctx>;
}
