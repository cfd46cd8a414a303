/**
 * RequestPump: streams the downstream request body to the current upstream
 * attempt, with backpressure both ways and no promise per chunk unless a
 * filter returns one. Bytes are kept (up to the retry buffer) so a retry
 * can replay them, through the filters again, to the next upstream; the pump
 * then carries on reading the downstream.
 */
import type { HttpClientSession } from '@pingora-ts/core';
import { type BodySink, isDirectReadView } from '@pingora-ts/core/h1';
import { ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { HeaderList } from '@pingora-ts/http';
import { isPromise } from './maybe-promise.ts';
import type { BodyFilterReturn, MaybePromise, ProxyHttp } from './proxy-http.ts';
import { type Session, sessionState } from './session.ts';
import type { SessionState } from './session-state.ts';

/** Who the pump reports to: the exchange of the current attempt. */
export interface RequestPumpOwner {
  /** The request body has been fully sent upstream. */
  requestSent(): void;
  /** Reading or forwarding the body failed. */
  requestFailed(error: PingoraError): void;
}

/** Whether a request head announces a body (RFC 9112 6.3: Transfer-Encoding or a non-zero length). */
export function requestHasBody(session: Session): boolean {
  const req = session.reqHeader;
  if (req.hasHeader('transfer-encoding')) return true;
  const cl = req.getHeader('content-length');
  return cl !== undefined && cl !== '0';
}

export class RequestPump<Ctx> implements BodySink {
  readonly #session: Session;
  readonly #st: SessionState;
  readonly #inner: ProxyHttp<Ctx>;
  readonly #ctx: Ctx;
  /** The downstream request announced a body. */
  readonly hasBody: boolean;
  #up: HttpClientSession | undefined;
  #owner: RequestPumpOwner | undefined;
  /** The downstream sink is attached (reading has started). */
  #reading = false;
  /** onData returned false: the downstream waits for resumeBody(). */
  #paused = false;
  // Callbacks made on first need (backpressure, async filters) and then reused.
  #resumeCb: (() => void) | undefined;
  #onFilterDoneCb: ((body: BodyFilterReturn) => void) | undefined;
  #onModulesDoneCb: ((body: Buffer | null) => void) | undefined;
  #onAsyncErrorCb: ((err: unknown) => void) | undefined;
  #asyncEos = false;
  #asyncInput: Buffer | null = null;

  constructor(session: Session, inner: ProxyHttp<Ctx>, ctx: Ctx) {
    this.#session = session;
    this.#st = sessionState(session);
    this.#inner = inner;
    this.#ctx = ctx;
    this.hasBody = requestHasBody(session);
  }

  get #resume(): () => void {
    this.#resumeCb ??= () => {
      if (this.#up !== undefined) this.#continue(false);
    };
    return this.#resumeCb;
  }

  get #onFilterDone(): (body: BodyFilterReturn) => void {
    this.#onFilterDoneCb ??= (body) => {
      const chunk = body === undefined ? this.#asyncInput : body;
      this.#asyncInput = null;
      if (this.#afterUserFilter(chunk, this.#asyncEos)) this.#continue(this.#asyncEos);
    };
    return this.#onFilterDoneCb;
  }

  get #onModulesDone(): (body: Buffer | null) => void {
    this.#onModulesDoneCb ??= (chunk) => {
      if (this.#forward(chunk)) this.#continue(this.#asyncEos);
    };
    return this.#onModulesDoneCb;
  }

  get #onAsyncError(): (err: unknown) => void {
    this.#onAsyncErrorCb ??= (err) => this.#fail(err);
    return this.#onAsyncErrorCb;
  }

  /**
   * Starts (or, after a retry, restarts) sending the body to `up`: replays
   * what earlier attempts and filters read, then continues from downstream.
   */
  start(up: HttpClientSession, owner: RequestPumpOwner): void {
    this.#up = up;
    this.#owner = owner;
    const st = this.#st;
    st.requestBodySent = 0;
    if (!this.hasBody) {
      this.#finish();
      return;
    }
    if (st.retryBufferTruncated && st.bodyBytesReadEarly > 0) {
      // A filter read more than the retry buffer holds: those bytes are gone.
      this.#fail(
        PingoraError.explain(
          ErrorType.InternalError,
          'request body read by a filter outgrew the retry buffer and cannot be proxied',
        ),
      );
      return;
    }
    if (st.retryBuffer.length > 0) {
      this.#replay(up).then(
        (ok) => {
          if (ok && this.#up === up) this.#readOn();
        },
        (err: unknown) => {
          if (this.#up === up) this.#fail(err);
        },
      );
      return;
    }
    this.#readOn();
  }

  /** Stops forwarding to the current attempt (it failed, or the response ended first). */
  detach(): void {
    this.#up = undefined;
    this.#owner = undefined;
  }

  /** Chunks are written upstream within onData, or copied first where they are kept. */
  readonly takesTransientChunks = true;

  onData(chunk: Buffer): boolean {
    // The lifetime rule (BodySink): a view of the shared read buffer dies when
    // this returns. The retry buffer copies what it keeps; a filter gets a copy.
    this.#st.keepForRetry(chunk);
    if (isDirectReadView(chunk) && this.#filtersKeepChunks()) chunk = Buffer.from(chunk);
    if (this.#up === undefined) {
      // No attempt is listening (between retries): hold the downstream.
      this.#paused = true;
      return false;
    }
    const ok = this.#process(chunk, false);
    if (!ok) this.#paused = true;
    return ok;
  }

  onEnd(trailers: HeaderList | undefined): void {
    const st = this.#st;
    st.requestBodyComplete = true;
    st.requestTrailers = trailers;
    if (this.#up !== undefined && this.#process(null, true)) this.#finish();
  }

  onError(error: PingoraError): void {
    this.#owner?.requestFailed(error);
  }

  /** Whether a request body filter may hold on to a chunk. */
  #filtersKeepChunks(): boolean {
    return (
      this.#inner.requestBodyFilter !== undefined ||
      this.#session.downstreamModules.bodyFiltersKeepChunks(false)
    );
  }

  /** Carries on with the downstream body after a (re)start. */
  #readOn(): void {
    const s = this.#session;
    if (this.#st.requestBodyComplete) {
      if (this.#process(null, true)) this.#finish();
      return;
    }
    if (!this.#reading) {
      this.#reading = true;
      s.downstream.readBodyInto(this);
    } else if (this.#paused) {
      this.#paused = false;
      s.downstream.resumeBody();
    }
  }

  /** Sends what was read before this attempt, through the filters again. Rare: async is fine. */
  async #replay(up: HttpClientSession): Promise<boolean> {
    const s = this.#session;
    if (this.#st.retryBufferTruncated) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'request body outgrew the retry buffer and cannot be replayed',
      );
    }
    for (const raw of this.#st.retryBuffer.slice()) {
      let chunk: Buffer | null = raw;
      const filter = this.#inner.requestBodyFilter;
      if (filter !== undefined) {
        const r = await filter.call(this.#inner, s, chunk, false, this.#ctx);
        if (r !== undefined) chunk = r;
      }
      if (s.downstreamModules.modules.length > 0) {
        chunk = await s.downstreamModules.requestBodyFilter(chunk, false);
      }
      if (this.#up !== up) return false;
      if (chunk !== null && chunk.length > 0) {
        this.#st.requestBodySent += chunk.length;
        if (!up.writeBody(chunk)) await new Promise<void>((resolve) => up.onDrain(resolve));
      }
    }
    return true;
  }

  /** Runs the filters on one piece and writes it; false when it must wait (filter or drain). */
  #process(chunk: Buffer | null, eos: boolean): boolean {
    const filter = this.#inner.requestBodyFilter;
    if (filter !== undefined) {
      let result: MaybePromise<BodyFilterReturn>;
      try {
        result = filter.call(this.#inner, this.#session, chunk, eos, this.#ctx);
      } catch (err) {
        this.#fail(err);
        return false;
      }
      if (isPromise(result)) {
        this.#asyncEos = eos;
        this.#asyncInput = chunk;
        result.then(this.#onFilterDone, this.#onAsyncError);
        return false;
      }
      if (result !== undefined) chunk = result;
    }
    return this.#afterUserFilter(chunk, eos);
  }

  #afterUserFilter(chunk: Buffer | null, eos: boolean): boolean {
    const modules = this.#session.downstreamModules;
    if (modules.modules.length > 0) {
      let out: Buffer | null | Promise<Buffer | null>;
      try {
        out = modules.requestBodyFilter(chunk, eos);
      } catch (err) {
        this.#fail(err);
        return false;
      }
      if (isPromise(out)) {
        this.#asyncEos = eos;
        out.then(this.#onModulesDone, this.#onAsyncError);
        return false;
      }
      chunk = out;
    }
    return this.#forward(chunk);
  }

  /** Writes to the upstream; false when its send buffer is full (resumes on drain). */
  #forward(chunk: Buffer | null): boolean {
    const up = this.#up;
    if (up === undefined) return false;
    if (chunk === null || chunk.length === 0) return true;
    try {
      this.#st.requestBodySent += chunk.length;
      if (up.writeBody(chunk)) return true;
    } catch (err) {
      this.#fail(err);
      return false;
    }
    up.onDrain(this.#resume);
    return false;
  }

  /** Resumes after an asynchronous step (filter or drain) finished. */
  #continue(eos: boolean): void {
    const s = this.#session;
    if (eos) {
      this.#finish();
      return;
    }
    if (this.#st.requestBodyComplete && !this.#paused) {
      // The end arrived while a step was pending: finish through the filters.
      if (this.#process(null, true)) this.#finish();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      s.downstream.resumeBody();
    }
  }

  #finish(): void {
    const up = this.#up;
    const owner = this.#owner;
    if (up === undefined || owner === undefined) return;
    up.finishRequestBody(this.#st.requestTrailers).then(
      () => {
        if (this.#owner === owner) owner.requestSent();
      },
      (err: unknown) => {
        if (this.#owner === owner) {
          owner.requestFailed(toPingoraError(err, { phase: 'write' }).asUpstream());
        }
      },
    );
  }

  #fail(err: unknown): void {
    this.#owner?.requestFailed(toPingoraError(err));
  }
}
