/**
 * The start-line half of the HTTP/1 head parser: the request line
 * (`GET /path HTTP/1.1`, 414 past its limit, 505 for another version) and
 * the status line (`HTTP/1.1 200 OK`), scanned byte by byte and resumable,
 * recording token offsets that HeadParser turns into strings once the head
 * is complete. HeadParser extends this class with the field lines.
 */
import { CLASS, CR, FIELD, LF, SP, TARGET, TOKEN } from './char-class.ts';

/** `feed()` results besides the index of the byte after the head. */
export const NEED_MORE = -1;
export const PARSE_ERROR = -2;

// States. The start-line states come first so `state < S_LINE_START` tests "in the start line".
export const S_REQ_START = 0;
export const S_REQ_START_LF = 1;
export const S_METHOD = 2;
export const S_TARGET = 3;
export const S_VERSION = 4;
export const S_START_LINE_LF = 5;
export const S_RESP_VERSION = 6;
export const S_STATUS = 7;
export const S_REASON = 8;
export const S_LINE_START = 10;
export const S_NAME = 11;
export const S_VALUE_OWS = 12;
export const S_VALUE = 13;
export const S_VALUE_LF = 14;
export const S_END_LF = 15;
export const S_DONE = 16;
export const S_ERROR = 17;

/** Bounds on what one head may hold. */
export interface HeadLimits {
  /** The whole head: start line, fields and the blank line (431 past it). */
  readonly maxHeadBytes: number;
  /** Header fields in the head (431 past it). */
  readonly maxHeaders: number;
  /** The request or status line (414 past it for a request). */
  readonly maxStartLineBytes: number;
}

/** What the parser reads: which start line, if any, precedes the fields. */
export const HeadMode = { Request: 0, Response: 1, Trailers: 2 } as const;
export type HeadMode = (typeof HeadMode)[keyof typeof HeadMode];

export abstract class StartLineScanner {
  readonly mode: HeadMode;
  limits: HeadLimits;

  /** Request method (Request mode). */
  method = '';
  /** Request target exactly as received (Request mode). */
  target = '';
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (Request and Response modes). */
  minor = 1;
  /** Status code (Response mode). */
  status = 0;
  /** Reason phrase (Response mode), possibly empty. */
  reason = '';
  /** After PARSE_ERROR: the status a server answers with, and why. */
  errorStatus = 0;
  errorText = '';

  protected state = 0;
  /** Offsets are relative to the head's first byte, so they survive the buffer being regrown. */
  protected pos = 0;
  protected mark = 0;
  protected lineStart = 0;
  /** Offsets of the method and target (request) or reason (response) in the start line. */
  protected tok0 = 0;
  protected tok1 = 0;
  protected tok2 = 0;
  protected tok3 = 0;

  constructor(mode: HeadMode, limits: HeadLimits) {
    this.mode = mode;
    this.limits = limits;
  }

  protected fail(status: number, text: string): number {
    this.state = S_ERROR;
    this.errorStatus = status;
    this.errorText = text;
    return PARSE_ERROR;
  }

  /** Scans the request line; sets this.state (S_LINE_START when done) and returns the index reached. */
  protected requestLine(buf: Buffer, base: number, i: number, stop: number): number {
    let state = this.state;
    while (i < stop) {
      const c = buf[i]!;
      switch (state) {
        case S_REQ_START:
          // RFC 9112 2.2: a server SHOULD ignore blank lines before the request line.
          if (c === CR) {
            state = S_REQ_START_LF;
            i++;
          } else if ((CLASS[c]! & TOKEN) !== 0) {
            this.lineStart = i - base;
            this.mark = this.lineStart;
            state = S_METHOD;
          } else {
            this.fail(400, 'invalid method');
            return i;
          }
          break;
        case S_REQ_START_LF:
          if (c !== LF) {
            this.fail(400, 'bare CR in head');
            return i;
          }
          state = S_REQ_START;
          i++;
          break;
        case S_METHOD: {
          let b = c;
          while ((CLASS[b]! & TOKEN) !== 0 && ++i < stop) b = buf[i]!;
          if (i >= stop) break;
          if (b !== SP) {
            this.fail(400, 'invalid method');
            return i;
          }
          this.tok0 = this.mark;
          this.tok1 = i - base;
          i++;
          this.mark = i - base;
          state = S_TARGET;
          break;
        }
        case S_TARGET: {
          let b = c;
          while ((CLASS[b]! & TARGET) !== 0 && ++i < stop) b = buf[i]!;
          if (i >= stop) break;
          if (b !== SP || i === base + this.mark) {
            this.fail(400, 'invalid request target');
            return i;
          }
          this.tok2 = this.mark;
          this.tok3 = i - base;
          i++;
          this.mark = i - base;
          state = S_VERSION;
          break;
        }
        case S_VERSION:
          if (c === CR) {
            if (!this.#version(buf, base + this.mark, i, true)) return i;
            state = S_START_LINE_LF;
          } else if (i - (base + this.mark) >= 8) {
            this.fail(400, 'invalid HTTP version');
            return i;
          }
          i++;
          break;
        case S_START_LINE_LF:
          if (c !== LF) {
            this.fail(400, 'bare CR in request line');
            return i;
          }
          this.state = S_LINE_START;
          return i + 1;
        default:
          this.fail(400, 'parser misuse');
          return i;
      }
    }
    this.state = state;
    return i;
  }

  /** Scans a status line (`HTTP/1.1 200 OK`; a missing reason is accepted). */
  protected statusLine(buf: Buffer, base: number, i: number, stop: number): number {
    let state = this.state;
    while (i < stop) {
      const c = buf[i]!;
      switch (state) {
        case S_RESP_VERSION:
          if (i - base === 8) {
            if (c !== SP || !this.#version(buf, base, i, false)) {
              if (this.state !== S_ERROR) this.fail(400, 'invalid status line');
              return i;
            }
            this.mark = i + 1 - base;
            state = S_STATUS;
          }
          i++;
          break;
        case S_STATUS:
          if (i - base - this.mark < 3) {
            if (c < 0x30 || c > 0x39) {
              this.fail(400, 'invalid status code');
              return i;
            }
            this.status = this.status * 10 + (c - 0x30);
            i++;
            break;
          }
          if (this.status < 100) {
            this.fail(400, 'invalid status code');
            return i;
          }
          if (c === SP) {
            i++;
            this.mark = i - base;
          } else if (c === CR) {
            this.mark = i - base;
          } else {
            this.fail(400, 'invalid status code');
            return i;
          }
          state = S_REASON;
          break;
        case S_REASON: {
          let b = c;
          while ((CLASS[b]! & FIELD) !== 0 && ++i < stop) b = buf[i]!;
          if (i >= stop) break;
          if (b !== CR) {
            this.fail(400, 'invalid reason phrase');
            return i;
          }
          this.tok0 = this.mark;
          this.tok1 = i - base;
          state = S_START_LINE_LF;
          i++;
          break;
        }
        case S_START_LINE_LF:
          if (c !== LF) {
            this.fail(400, 'bare CR in status line');
            return i;
          }
          this.state = S_LINE_START;
          return i + 1;
        default:
          this.fail(400, 'parser misuse');
          return i;
      }
    }
    this.state = state;
    return i;
  }

  /** Checks `HTTP/1.1` or `HTTP/1.0` in buf[start, end); another `HTTP/d.d` is 505. */
  #version(buf: Buffer, start: number, end: number, request: boolean): boolean {
    if (
      end - start === 8 &&
      buf[start] === 0x48 &&
      buf[start + 1] === 0x54 &&
      buf[start + 2] === 0x54 &&
      buf[start + 3] === 0x50 &&
      buf[start + 4] === 0x2f &&
      buf[start + 6] === 0x2e
    ) {
      const major = buf[start + 5]!;
      const minor = buf[start + 7]!;
      if (major === 0x31 && (minor === 0x31 || minor === 0x30)) {
        this.minor = minor - 0x30;
        return true;
      }
      if (major >= 0x30 && major <= 0x39 && minor >= 0x30 && minor <= 0x39) {
        this.fail(request ? 505 : 400, 'unsupported HTTP version');
        return false;
      }
    }
    this.fail(400, 'invalid HTTP version');
    return false;
  }
}
