/**
 * What the HTTP/1 server and client sessions share: one socket and its read
 * buffer, body delivery to a BodySink with backpressure, read flow control
 * that bounds buffered input, read and write deadlines on the shared ticker,
 * and the rule that the first fatal error ends every pending operation.
 */
import type { Socket } from 'node:net';
import { type ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { HeaderList } from '@pingora-ts/http';
import { endDirectReads, isDirectReadView, startDirectReads } from '../../../l4/direct-read.ts';
import {
  scratchFor,
  writeConsuming,
  writeRetained,
  writeScratch,
} from '../../../l4/direct-write.ts';
import type { BodySink } from '../body-sink.ts';
import {
  armDeadline,
  type DeadlineOwner,
  disarmDeadline,
  releaseDeadline,
} from '../deadline-ticker.ts';
import { BODY_ERROR, BodyDecoder } from './body-decoder.ts';
import type { BodySource } from './body-reader.ts';
import { lastChunkLength, writeLastChunk } from './head-writer.ts';
import { InputBuffer } from './input-buffer.ts';
import { putLatin1 } from './latin1.ts';
import { BodyKind } from './message-framing.ts';
import type { FramedWriter } from './outgoing-body.ts';

/** Read buffering stops (the socket is paused) once this much input waits unconsumed. */
export const MIN_INPUT_HIGH_WATER = 64 * 1024;

/** One settled promise for every write that did not block (no allocation per response). */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Bodies up to this size are copied next to their head or chunk framing to make one write. */
const COALESCE_LIMIT = 16 * 1024;

function putSizeLine(buf: Buffer, o: number, hex: string): number {
  o = putLatin1(buf, o, hex);
  return putCrlf(buf, o);
}

function putCrlf(buf: Buffer, o: number): number {
  buf[o] = 0x0d;
  buf[o + 1] = 0x0a;
  return o + 2;
}

/**
 * Closes `socket` with a TCP RST (SO_LINGER 0), so the peer gets ECONNRESET
 * rather than a clean end; sockets that cannot (TLS over a wrapped handle,
 * Unix sockets) are destroyed normally.
 */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Inputs that still hold views of the shared read buffer, settled before the next read. */
const unsettled: InputBuffer[] = [];

function settleAll(): void {
  for (let i = 0; i < unsettled.length; i++) unsettled[i]!.settle();
  unsettled.length = 0;
}

/**
 * Copies what `input` left of a direct read only once the work this read
 * started has run: a response head handed on through a promise gets its body
 * reader attached in a microtask, and that reader then takes the body bytes
 * straight from the read buffer. Node drains the nextTick and microtask
 * queues after every read callback, before libuv reads again (into the same
 * shared buffer), and a nextTick queued from a microtask runs once the
 * microtasks queued before it (and theirs) are done; so the views stay valid
 * until settleAll runs.
 */
function settleLater(input: InputBuffer): void {
  unsettled.push(input);
  if (unsettled.length === 1) queueMicrotask(scheduleSettle);
}

function scheduleSettle(): void {
  process.nextTick(settleAll);
}

/** The connection a socket's shared listeners act on. */
const kConnection = Symbol('pingora-ts:h1-connection');
type OwnedSocket = Socket & { [kConnection]?: H1Connection | undefined };

function connectionOf(socket: Socket): H1Connection {
  return (socket as OwnedSocket)[kConnection] as H1Connection;
}

// Socket listeners shared by every connection (set in H1Connection's static block).
let onDirectRead: (this: Socket, n: number, buf: Buffer) => void;
let onData: (this: Socket, chunk: Buffer) => void;
let onEnd: (this: Socket) => void;
let onError: (this: Socket, err: Error) => void;
let onClose: (this: Socket) => void;
let onDrainEvent: (this: Socket) => void;
let flushHeads: () => void;
let writeTimedOut: (c: H1Connection) => void;
/** Connections whose head waits for a body write until the microtask (see queueHead). */
const queuedHeads: (H1Connection | undefined)[] = [];
/** How many slots of queuedHeads are queued (the array keeps its capacity). */
let queuedCount = 0;

/** The write deadline's wheel entry (a connection has one for reads, one for writes). */
class WriteWatch implements DeadlineOwner {
  deadline = 0;
  wheelTick = 0;
  readonly #connection: H1Connection;
  constructor(connection: H1Connection) {
    this.#connection = connection;
  }
  onDeadline(): void {
    writeTimedOut(this.#connection);
  }
}

const NO_SINK: BodySink = {
  onData: () => true,
  onEnd: () => {},
  onError: () => {},
};

export abstract class H1Connection implements DeadlineOwner, BodySource, FramedWriter {
  /** The underlying socket. Do not read from it while the session owns it. */
  readonly socket: Socket;
  /** Read deadline (wheel clock ms, 0 = none); see DeadlineOwner. */
  deadline = 0;
  /** The deadline wheel's slot (owned by the wheel). */
  wheelTick = 0;
  /** Milliseconds a body read may wait for the next bytes. */
  bodyTimeoutMs: number;
  /** Milliseconds a write may stay blocked (backpressured) before the connection is dropped. */
  writeTimeoutMs: number;

  protected readonly input = new InputBuffer();
  protected readonly decoder = new BodyDecoder();
  protected sink: BodySink = NO_SINK;
  protected hasSink = false;
  protected sinkPaused = false;
  protected eof = false;
  protected failure: PingoraError | undefined;
  protected detached = false;
  protected readonly errorSource: ErrorSource;
  protected inputHighWater = MIN_INPUT_HIGH_WATER;
  /** Trailers of the last body read to its end. */
  protected bodyTrailers: HeaderList | undefined;

  /** Bytes of a head that waits to go out with the first body bytes (0 = none). */
  protected pendingHeadLength = 0;
  /** While true, a queued head waits for the caller's next write (no flush is scheduled). */
  protected holdHead = false;

  #delivering = false;
  #readPaused = false;
  #drainCb: (() => void) | null = null;
  readonly #writeWatch: WriteWatch;
  /** Whether the socket delivers reads to `onDirectRead` (else through 'data'). */
  readonly #direct: boolean;

  constructor(socket: Socket, source: ErrorSource, bodyTimeoutMs: number, writeTimeoutMs: number) {
    this.socket = socket;
    this.errorSource = source;
    this.bodyTimeoutMs = bodyTimeoutMs;
    this.writeTimeoutMs = writeTimeoutMs;
    this.#writeWatch = new WriteWatch(this);
    // The listeners are shared by every connection and find it on the socket:
    // an idle connection holds no closure of its own.
    (socket as OwnedSocket)[kConnection] = this;
    this.#direct = startDirectReads(socket, onDirectRead);
    if (!this.#direct) socket.on('data', onData);
    // As a first 'data' listener would: start reading unless someone paused the socket.
    else if (socket.readableFlowing !== false) socket.resume();
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('drain', onDrainEvent);
    socket.setNoDelay(true);
  }

  static {
    onDirectRead = function (this: Socket, n: number, buf: Buffer): void {
      const c = connectionOf(this);
      const input = c.input;
      input.appendTransient(buf, n);
      try {
        c.onInput();
      } finally {
        if (input.transient && input.length > 0) settleLater(input);
        else input.settle();
      }
      c.updateFlow();
    };
    onData = function (this: Socket, chunk: Buffer): void {
      const c = connectionOf(this);
      c.input.append(chunk);
      c.onInput();
      c.updateFlow();
    };
    onEnd = function (this: Socket): void {
      const c = connectionOf(this);
      c.eof = true;
      c.onEof();
    };
    onError = function (this: Socket, err: Error): void {
      const c = connectionOf(this);
      c.fail(toPingoraError(err, { phase: 'read', source: c.errorSource }));
    };
    onClose = function (this: Socket): void {
      const c = connectionOf(this);
      // The peer ended cleanly and what it sent is still buffered (a paused
      // reader, a close-delimited body): let the reader have it; the end of
      // input is reported when it gets there, and writes fail on their own.
      if (c.eof && c.input.length > 0) return;
      c.fail(PingoraError.observed(ErrorType.ConnectionClosed, c.errorSource, 'connection closed'));
    };
    onDrainEvent = function (this: Socket): void {
      const c = connectionOf(this);
      disarmDeadline(c.#writeWatch);
      const cb = c.#drainCb;
      c.#drainCb = null;
      cb?.();
    };
    flushHeads = (): void => {
      // A connection queued twice (a new head after a flush) is flushed once per entry: harmless.
      for (let i = 0; i < queuedCount; i++) {
        const c = queuedHeads[i] as H1Connection;
        queuedHeads[i] = undefined;
        if (c.pendingHeadLength > 0 && c.failure === undefined && !c.detached) {
          try {
            c.writeOut(null, false, false);
          } catch {
            // failed meanwhile: the connection reports it itself
          }
        }
      }
      queuedCount = 0;
    };
    writeTimedOut = (c) =>
      c.fail(c.error(ErrorType.WriteTimedout, `write blocked for over ${c.writeTimeoutMs} ms`));
  }

  /** Bytes have been appended to `input`. */
  protected abstract onInput(): void;
  /** The peer half-closed (no more input). */
  protected abstract onEof(): void;
  /** The connection failed; reject whatever waits (the sink is told by the base). */
  protected abstract onFailure(error: PingoraError): void;
  /** The read deadline passed. */
  abstract onDeadline(): void;
  /** A body has been fully read (before the sink hears `onEnd`). */
  protected abstract onBodyDone(): void;

  /** True when the connection has failed or been closed. */
  get closed(): boolean {
    return this.failure !== undefined || this.socket.destroyed;
  }

  /** Call `cb` once the socket has flushed what blocked the last write (or the connection failed). */
  onDrain(cb: () => void): void {
    if (this.failure !== undefined || !this.socket.writableNeedDrain) {
      queueMicrotask(cb);
      return;
    }
    this.#drainCb = cb;
  }

  /** Resumes delivery to the sink after its `onData` returned false. */
  resumeBody(): void {
    if (!this.hasSink || !this.sinkPaused) return;
    this.sinkPaused = false;
    this.pumpBody();
  }

  /** @internal FramedWriter: lets OutgoingBody write through the connection. */
  write(chunk: Buffer | null, chunked: boolean, last: boolean, trailers?: HeaderList): boolean {
    return this.writeOut(chunk, chunked, last, trailers);
  }

  /** @internal BodySource: lets BodyReader attach its sinks. */
  attach(sink: BodySink): void {
    this.attachSink(sink);
  }

  /** @internal BodySource: the sink currently attached, if any. */
  currentSink(): BodySink | undefined {
    return this.hasSink ? this.sink : undefined;
  }

  /** @internal BodySource: replaces the attached sink (readBodyChunk's by a discarding one). */
  replaceSink(sink: BodySink): void {
    this.sink = sink;
    this.sinkPaused = false;
    this.pumpBody();
  }

  /** @internal BodySource: whether the current body has been read to its end. */
  bodyDone(): boolean {
    return this.decoder.done;
  }

  /** Closes the connection at once (pending operations fail with ConnectionClosed). */
  destroy(error?: PingoraError): void {
    this.fail(error ?? this.error(ErrorType.ConnectionClosed, 'session destroyed'));
  }

  protected error(type: ErrorType, context: string): PingoraError {
    return PingoraError.create(type, this.errorSource, context);
  }

  /** Starts delivering the current body to `sink`. */
  protected attachSink(sink: BodySink): void {
    if (this.hasSink) {
      throw PingoraError.explain(ErrorType.InternalError, 'a body reader is already attached');
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      queueMicrotask(() => sink.onError(failure));
      return;
    }
    this.sink = sink;
    this.hasSink = true;
    this.sinkPaused = false;
    this.pumpBody();
  }

  /** Moves decoded body bytes from `input` to the sink until it pauses, input runs out, or the body ends. */
  protected pumpBody(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    const d = this.decoder;
    const input = this.input;
    try {
      while (this.hasSink && !this.sinkPaused && this.failure === undefined) {
        if (d.done) {
          this.#endBody();
          break;
        }
        if (input.start >= input.end) {
          if (this.eof) this.#endOfBodyInput();
          else armDeadline(this, this.bodyTimeoutMs);
          if (!d.done) break;
          continue;
        }
        const buf = input.buf;
        const from = input.start;
        const r = d.step(buf, from, input.end);
        if (r === BODY_ERROR) {
          this.failBody(this.error(ErrorType.InvalidHTTPHeader, `malformed body: ${d.error}`));
          break;
        }
        const ds = d.dataStart;
        const de = d.dataEnd;
        if (r === from && !d.done) {
          // An unfinished trailer section: wait for the rest of it.
          if (this.eof) this.#endOfBodyInput();
          else armDeadline(this, this.bodyTimeoutMs);
          break;
        }
        // A transient view is reused by the next read: a sink that does not
        // consume chunks within onData gets a copy.
        const transient = input.transient && this.sink.takesTransientChunks !== true;
        input.consumeTo(r);
        disarmDeadline(this);
        if (de > ds) {
          if (!this.checkBodyBytes(d.received)) break;
          const data = transient ? Buffer.from(buf.subarray(ds, de)) : buf.subarray(ds, de);
          if (!this.sink.onData(data)) this.sinkPaused = true;
        }
      }
    } finally {
      this.#delivering = false;
    }
    this.updateFlow();
  }

  /** Whether `received` body bytes are still acceptable (server sessions cap request bodies). */
  protected checkBodyBytes(_received: number): boolean {
    return true;
  }

  /** Ends the current body with an error: the connection cannot be reused after it. */
  protected failBody(error: PingoraError): void {
    this.fail(error);
  }

  /** Pauses or resumes reading so unconsumed input stays under the high-water mark. */
  protected updateFlow(): void {
    if (this.detached) return;
    // A body reader that asked for a pause gets no further read either: the
    // bytes stay in the kernel rather than in a copy of the shared read buffer.
    const want =
      this.input.length < this.inputHighWater &&
      this.failure === undefined &&
      !(this.hasSink && this.sinkPaused);
    if (want === !this.#readPaused) return;
    this.#readPaused = !want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }

  /** Writes bytes; false means the socket buffer is over its high-water mark (see onDrain). */
  protected send(buf: Buffer): boolean {
    if (this.failure !== undefined) throw this.failure;
    const ok = this.socket.write(buf);
    if (!ok) armDeadline(this.#writeWatch, this.writeTimeoutMs);
    return ok;
  }

  /**
   * Writes, in order: the pending head (if any), `chunk` (framed as one chunk
   * when `chunked`), and the last chunk with `trailers` when `last`. Small
   * results go out as one Buffer; large bodies are corked, not copied.
   * Returns false when the socket buffer is full (see onDrain).
   */
  protected writeOut(
    chunk: Buffer | null,
    chunked: boolean,
    last: boolean,
    trailers?: HeaderList,
  ): boolean {
    if (this.failure !== undefined) throw this.failure;
    const headLen = this.pendingHeadLength;
    const n = chunk === null ? 0 : chunk.length;
    const sizeLine = chunked && n > 0 ? n.toString(16) : '';
    const frame = sizeLine === '' ? 0 : sizeLine.length + 4;
    const tail = chunked && last ? lastChunkLength(trailers) : 0;
    const total = headLen + n + frame + tail;
    if (total === 0) return !this.socket.writableNeedDrain;
    if (n <= COALESCE_LIMIT) {
      // A socket the kernel can take the bytes from now: assembled in the
      // thread's scratch buffer and written in this call (no Buffer, no write request).
      const scratch = scratchFor(this.socket, total);
      const out = scratch ?? Buffer.allocUnsafe(total);
      let o = headLen > 0 ? this.writePendingHead(out, 0) : 0;
      this.pendingHeadLength = 0;
      if (frame > 0) o = putSizeLine(out, o, sizeLine);
      if (chunk !== null && n > 0) o += chunk.copy(out, o);
      if (frame > 0) o = putCrlf(out, o);
      if (tail > 0) writeLastChunk(trailers, out, o);
      if (scratch === undefined) return this.send(out);
      const ok = writeScratch(this.socket, scratch, total);
      if (!ok) armDeadline(this.#writeWatch, this.writeTimeoutMs);
      return ok;
    }
    const s = this.socket;
    if (isDirectReadView(chunk as Buffer))
      return this.#writeViewOut(chunk as Buffer, frame, sizeLine, tail, trailers);
    if (frame === 0 && tail === 0) {
      // A large body that stays valid (a cache's stored body): its head in the
      // scratch buffer, both in one writev now; only what the kernel leaves is queued.
      const scratch = scratchFor(s, headLen);
      if (scratch !== undefined) {
        const h = headLen > 0 ? this.writePendingHead(scratch, 0) : 0;
        this.pendingHeadLength = 0;
        const ok = writeRetained(s, scratch, h, chunk as Buffer);
        if (!ok) armDeadline(this.#writeWatch, this.writeTimeoutMs);
        return ok;
      }
    }
    s.cork();
    if (headLen > 0 || frame > 0) {
      const pre = Buffer.allocUnsafe(headLen + (frame > 0 ? frame - 2 : 0));
      const o = headLen > 0 ? this.writePendingHead(pre, 0) : 0;
      this.pendingHeadLength = 0;
      if (frame > 0) putSizeLine(pre, o, sizeLine);
      s.write(pre);
    }
    s.write(chunk as Buffer);
    if (frame > 0 || tail > 0) {
      const post = Buffer.allocUnsafe((frame > 0 ? 2 : 0) + tail);
      const o = frame > 0 ? putCrlf(post, 0) : 0;
      if (tail > 0) writeLastChunk(trailers, post, o);
      s.write(post);
    }
    s.uncork();
    const ok = !s.writableNeedDrain;
    if (!ok) armDeadline(this.#writeWatch, this.writeTimeoutMs);
    return ok;
  }

  /**
   * writeOut for a large chunk that is a view of the shared read buffer
   * (forwarded straight from a read, see BodySink.takesTransientChunks): it
   * must be consumed before this call returns, so it goes to the kernel now
   * and only what the kernel does not take is copied and queued.
   */
  #writeViewOut(
    chunk: Buffer,
    frame: number,
    sizeLine: string,
    tail: number,
    trailers: HeaderList | undefined,
  ): boolean {
    const parts: Buffer[] = [];
    const headLen = this.pendingHeadLength;
    if (headLen > 0 || frame > 0) {
      const pre = Buffer.allocUnsafe(headLen + (frame > 0 ? frame - 2 : 0));
      const o = headLen > 0 ? this.writePendingHead(pre, 0) : 0;
      this.pendingHeadLength = 0;
      if (frame > 0) putSizeLine(pre, o, sizeLine);
      parts.push(pre);
    }
    parts.push(chunk);
    if (frame > 0 || tail > 0) {
      const post = Buffer.allocUnsafe((frame > 0 ? 2 : 0) + tail);
      const o = frame > 0 ? putCrlf(post, 0) : 0;
      if (tail > 0) writeLastChunk(trailers, post, o);
      parts.push(post);
    }
    const ok = writeConsuming(this.socket, parts);
    if (!ok) armDeadline(this.#writeWatch, this.writeTimeoutMs);
    return ok;
  }

  /**
   * Queues a head of `length` bytes to go out with the first body bytes
   * written in this tick; it is flushed alone on the next tick otherwise, so
   * a head is never held back while its body is slow to come.
   */
  protected queueHead(length: number): void {
    this.pendingHeadLength = length;
    // A microtask costs less than a nextTick object and still runs before the
    // next read; one for all the heads queued in this turn.
    if (this.holdHead) return;
    queuedHeads[queuedCount++] = this;
    if (queuedCount === 1) queueMicrotask(flushHeads);
  }

  /** Writes the head waiting in `pendingHeadLength` bytes at `o`; returns the offset after it. */
  protected writePendingHead(_buf: Buffer, o: number): number {
    return o;
  }

  /** Resolves once the socket's write buffer is under its high-water mark. */
  protected flushed(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.socket.writableNeedDrain) return RESOLVED;
    return new Promise((resolve, reject) => {
      this.onDrain(() => (this.failure === undefined ? resolve() : reject(this.failure)));
    });
  }

  /** Fails the connection once: destroys the socket and ends every pending operation. */
  protected fail(error: PingoraError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    releaseDeadline(this);
    releaseDeadline(this.#writeWatch);
    if (!this.detached) {
      if (this.resetOnFailure()) resetSocket(this.socket);
      else this.socket.destroy();
    }
    const cb = this.#drainCb;
    this.#drainCb = null;
    if (this.hasSink) {
      const sink = this.sink;
      this.hasSink = false;
      this.sink = NO_SINK;
      sink.onError(error);
    }
    this.onFailure(error);
    cb?.();
  }

  /**
   * Whether a failure must reset the connection (RST) instead of closing it
   * (FIN): true when the peer would take a FIN as the end of a message.
   */
  protected resetOnFailure(): boolean {
    return false;
  }

  /** Removes the session from the socket (upgrade, or a socket handed elsewhere). */
  protected detach(): void {
    if (this.detached) return;
    this.detached = true;
    releaseDeadline(this);
    releaseDeadline(this.#writeWatch);
    const s = this.socket;
    s.pause();
    if (this.#direct) endDirectReads(s);
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('error', onError);
    s.off('close', onClose);
    s.off('drain', onDrainEvent);
    const owned = s as OwnedSocket;
    if (owned[kConnection] === this) owned[kConnection] = undefined;
  }

  #endOfBodyInput(): void {
    if (this.decoder.kind === BodyKind.Close) {
      this.decoder.endOfInput();
      return;
    }
    this.failBody(
      this.error(ErrorType.ConnectionClosed, 'connection closed before the body was complete'),
    );
  }

  #endBody(): void {
    disarmDeadline(this);
    const sink = this.sink;
    this.hasSink = false;
    this.sink = NO_SINK;
    const fields = this.decoder.trailers;
    let trailers: HeaderList | undefined;
    if (fields !== undefined) {
      trailers = new HeaderList();
      for (let i = 0; i < fields.length; i += 2)
        trailers.appendUnchecked(fields[i]!, fields[i + 1]!);
    }
    this.bodyTrailers = trailers;
    this.onBodyDone();
    sink.onEnd(trailers);
  }
}
