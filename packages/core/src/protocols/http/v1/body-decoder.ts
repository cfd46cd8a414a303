/**
 * The body decoder: turns wire bytes into body data for the three framings of
 * RFC 9112 section 6 (Content-Length, chunked, read-until-close). It is a pull
 * state machine with no callbacks: each `step()` consumes bytes and may expose
 * one data range, so a session can stop between ranges (backpressure) without
 * buffering more than what it already holds. Chunk-size lines, extensions and
 * trailers are validated byte by byte.
 */
import { CLASS, CR, HEX, HTAB, hexValue, LF, QDTEXT, SEMI, SP, TOKEN } from './char-class.ts';
import { type HeadLimits, HeadMode, HeadParser, NEED_MORE, PARSE_ERROR } from './head-parser.ts';
import { BodyKind } from './message-framing.ts';

/** Longest chunk-size line accepted, extensions included (bytes). */
export const MAX_CHUNK_LINE = 4096;
/** Hex digits in a chunk size: 13 digits stay under 2^53. */
const MAX_SIZE_DIGITS = 13;

export const TRAILER_LIMITS: HeadLimits = {
  maxHeadBytes: 16 * 1024,
  maxHeaders: 64,
  maxStartLineBytes: 0,
};

const C_SIZE_FIRST = 0;
const C_SIZE = 1;
const C_EXT = 2; // after a quoted extension value: ';', CR, or BWS before ';'
const C_EXT_NAME_FIRST = 3;
const C_EXT_NAME = 4;
const C_EXT_AFTER_NAME = 5;
const C_EXT_VALUE_FIRST = 6;
const C_EXT_TOKEN = 7;
const C_EXT_QUOTED = 8;
const C_EXT_QUOTED_PAIR = 9;
const C_EXT_BWS = 10; // whitespace after the size or a value: only ';' may follow
const C_SIZE_LF = 11; // the chunk-size line states all come before this one (line limit)
const C_DATA = 12;
const C_DATA_CR = 13;
const C_DATA_LF = 14;
const C_TRAILERS = 15;

/** `step()` result when the body is malformed (see `error`). */
export const BODY_ERROR = -1;

export class BodyDecoder {
  kind: BodyKind = BodyKind.None;
  /** Body bytes still expected (Length), or left in the current chunk (Chunked). */
  remaining = 0;
  /** Body bytes decoded so far. */
  received = 0;
  done = true;
  /** Why the body is malformed, after BODY_ERROR. */
  error = '';
  /** After `step()`: the data range it found (dataEnd > dataStart), absolute in the buffer given. */
  dataStart = 0;
  dataEnd = 0;
  /** Trailer fields of a chunked body, flat name/value, when it had any. */
  trailers: string[] | undefined = undefined;

  #state = C_SIZE_FIRST;
  #digits = 0;
  #lineBytes = 0;
  #trailerParser: HeadParser | undefined;

  /** Starts a body of `kind`; `length` is the Content-Length for BodyKind.Length. */
  start(kind: BodyKind, length = 0): void {
    this.kind = kind;
    this.received = 0;
    this.error = '';
    this.trailers = undefined;
    this.#state = C_SIZE_FIRST;
    this.remaining = kind === BodyKind.Length ? length : 0;
    this.done = kind === BodyKind.None || (kind === BodyKind.Length && length === 0);
    this.#digits = 0;
    this.#lineBytes = 0;
  }

  /** For a close-delimited body: the peer closed, so the body is complete. */
  endOfInput(): void {
    if (this.kind === BodyKind.Close) this.done = true;
  }

  /**
   * Consumes bytes from buf[pos, end). Returns the index reached (or
   * BODY_ERROR); `dataEnd > dataStart` when a data range was found, `done`
   * once the body is complete. Bytes before the returned index are used up,
   * except that an unfinished trailer section is re-read with more appended.
   */
  step(buf: Buffer, pos: number, end: number): number {
    this.dataStart = this.dataEnd = pos;
    if (this.done || pos >= end) return pos;
    if (this.kind === BodyKind.Length) {
      const n = Math.min(end - pos, this.remaining);
      this.dataEnd = pos + n;
      this.remaining -= n;
      this.received += n;
      if (this.remaining === 0) this.done = true;
      return pos + n;
    }
    if (this.kind === BodyKind.Close) {
      this.dataEnd = end;
      this.received += end - pos;
      return end;
    }
    return this.#chunked(buf, pos, end);
  }

  #chunked(buf: Buffer, i: number, end: number): number {
    let state = this.#state;
    while (i < end) {
      if (state === C_DATA) {
        const n = Math.min(end - i, this.remaining);
        this.dataStart = i;
        this.dataEnd = i + n;
        this.remaining -= n;
        this.received += n;
        i += n;
        if (this.remaining === 0) state = C_DATA_CR;
        this.#state = state;
        return i;
      }
      if (state === C_TRAILERS) {
        if (this.#trailerParser === undefined) {
          this.#trailerParser = new HeadParser(HeadMode.Trailers, TRAILER_LIMITS);
        }
        const parser = this.#trailerParser;
        const r = parser.feed(buf, i, end);
        if (r === NEED_MORE) {
          this.#state = state;
          return i; // the session keeps these bytes and calls again with more
        }
        if (r === PARSE_ERROR) return this.#fail(`invalid trailer section: ${parser.errorText}`);
        const names = parser.names;
        if (names.length > 0) {
          const fields: string[] = [];
          for (let f = 0; f < names.length; f++) fields.push(names[f]!, parser.values[f]!);
          this.trailers = fields;
        }
        this.done = true;
        this.#state = state;
        return r;
      }
      const c = buf[i]!;
      if (state <= C_SIZE_LF && ++this.#lineBytes > MAX_CHUNK_LINE)
        return this.#fail('chunk-size line too long');
      switch (state) {
        case C_SIZE_FIRST:
          if ((CLASS[c]! & HEX) === 0) return this.#fail('invalid chunk size');
          this.remaining = hexValue(c);
          this.#digits = 1;
          state = C_SIZE;
          break;
        case C_SIZE:
          if ((CLASS[c]! & HEX) !== 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return this.#fail('chunk size too large');
            this.remaining = this.remaining * 16 + hexValue(c);
          } else if (c === CR) {
            state = C_SIZE_LF;
          } else if (c === SEMI) {
            state = C_EXT_NAME_FIRST;
          } else if (c === SP || c === HTAB) {
            // RFC 9112 7.1.1: BWS is allowed before a ';' only. `a \r\n` is a
            // size some parsers read as 0xa and others refuse: refuse it.
            state = C_EXT_BWS;
          } else {
            return this.#fail('invalid chunk size');
          }
          break;
        case C_EXT:
          if (c === SEMI) state = C_EXT_NAME_FIRST;
          else if (c === CR) state = C_SIZE_LF;
          else if (c === SP || c === HTAB) state = C_EXT_BWS;
          else return this.#fail('invalid chunk extension');
          break;
        case C_EXT_BWS:
          if (c === SEMI) state = C_EXT_NAME_FIRST;
          else if (c !== SP && c !== HTAB) return this.#fail('whitespace in a chunk-size line');
          break;
        case C_EXT_NAME_FIRST:
          if ((CLASS[c]! & TOKEN) !== 0) state = C_EXT_NAME;
          else if (c !== SP && c !== HTAB) return this.#fail('invalid chunk extension');
          break;
        case C_EXT_NAME:
          if ((CLASS[c]! & TOKEN) !== 0) break;
          if (c === 0x3d) state = C_EXT_VALUE_FIRST;
          else if (c === SEMI) state = C_EXT_NAME_FIRST;
          else if (c === CR) state = C_SIZE_LF;
          else if (c === SP || c === HTAB) state = C_EXT_AFTER_NAME;
          else return this.#fail('invalid chunk extension');
          break;
        case C_EXT_AFTER_NAME:
          // Whitespace after a name may only lead to '=' or ';'.
          if (c === 0x3d) state = C_EXT_VALUE_FIRST;
          else if (c === SEMI) state = C_EXT_NAME_FIRST;
          else if (c !== SP && c !== HTAB) return this.#fail('whitespace in a chunk-size line');
          break;
        case C_EXT_VALUE_FIRST:
          if (c === 0x22) state = C_EXT_QUOTED;
          else if ((CLASS[c]! & TOKEN) !== 0) state = C_EXT_TOKEN;
          else if (c !== SP && c !== HTAB) return this.#fail('invalid chunk extension');
          break;
        case C_EXT_TOKEN:
          if ((CLASS[c]! & TOKEN) !== 0) break;
          if (c === SEMI) state = C_EXT_NAME_FIRST;
          else if (c === CR) state = C_SIZE_LF;
          else if (c === SP || c === HTAB) state = C_EXT_BWS;
          else return this.#fail('invalid chunk extension');
          break;
        case C_EXT_QUOTED:
          if (c === 0x22) state = C_EXT;
          else if (c === 0x5c) state = C_EXT_QUOTED_PAIR;
          else if ((CLASS[c]! & QDTEXT) === 0) return this.#fail('invalid chunk extension');
          break;
        case C_EXT_QUOTED_PAIR:
          if ((CLASS[c]! & QDTEXT) === 0 && c !== 0x22 && c !== 0x5c) {
            return this.#fail('invalid chunk extension');
          }
          state = C_EXT_QUOTED;
          break;
        case C_SIZE_LF:
          if (c !== LF) return this.#fail('bare CR in chunk-size line');
          this.#lineBytes = 0;
          if (this.remaining === 0) {
            state = C_TRAILERS;
            this.#trailerParser?.reset();
          } else {
            state = C_DATA;
          }
          break;
        case C_DATA_CR:
          if (c !== CR) return this.#fail('chunk data longer than its size');
          state = C_DATA_LF;
          break;
        case C_DATA_LF:
          if (c !== LF) return this.#fail('bare CR after chunk data');
          state = C_SIZE_FIRST;
          break;
        default:
          return this.#fail('decoder misuse');
      }
      i++;
    }
    this.#state = state;
    return i;
  }

  #fail(text: string): number {
    this.error = text;
    this.done = true;
    return BODY_ERROR;
  }
}
