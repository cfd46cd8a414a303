/**
 * The HTTP/1 head parser: a byte-level state machine over Buffers that reads a
 * request line, a status line or a trailer section, then header fields, strict
 * per RFC 9112. It is incremental: fed the bytes of an unfinished head again
 * with more appended, it resumes where it stopped, and it enforces the size
 * and count limits while scanning, so an endless head is refused early.
 */
import { CLASS, COLON, CR, FIELD, HTAB, LF, SP, TARGET, TOKEN } from './char-class.ts';
import { latin1 } from './latin1.ts';

/** Bounds on what one head may hold. */
export interface HeadLimits {
  /** The whole head: start line, fields and the blank line (431 past it). */
  readonly maxHeadBytes: number;
  /** Header fields in the head (431 past it). */
  readonly maxHeaders: number;
  /** The request or status line (414 past it for a request). */
  readonly maxStartLineBytes: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = {
  maxHeadBytes: 64 * 1024,
  maxHeaders: 128,
  maxStartLineBytes: 8 * 1024,
};

/** What the parser reads: which start line, if any, precedes the fields. */
export const HeadMode = { Request: 0, Response: 1, Trailers: 2 } as const;
export type HeadMode = (typeof HeadMode)[keyof typeof HeadMode];

/** `feed()` results besides the index of the byte after the head. */
export const NEED_MORE = -1;
export const PARSE_ERROR = -2;

// States. The start-line states come first so `state < S_LINE_START` tests "in the start line".
const S_REQ_START = 0;
const S_REQ_START_LF = 1;
const S_METHOD = 2;
const S_TARGET = 3;
const S_VERSION = 4;
const S_START_LINE_LF = 5;
const S_RESP_VERSION = 6;
const S_STATUS = 7;
const S_REASON = 8;
const S_LINE_START = 10;
const S_NAME = 11;
const S_VALUE_OWS = 12;
const S_VALUE = 13;
const S_VALUE_LF = 14;
const S_END_LF = 15;
const S_DONE = 16;
const S_ERROR = 17;

/** The fields of a head not yet parsed: shared, never written (extract() assigns a new array). */
const NO_FIELDS: string[] = [];

export class HeadParser {
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
  /** Header fields as read, flat: name, value, name, value... (case kept, OWS trimmed). */
  fields: string[] = [];
  /** After PARSE_ERROR: the status a server answers with, and why. */
  errorStatus = 0;
  errorText = '';

  private state: number;
  /** Offsets are relative to the head's first byte, so they survive the buffer being regrown. */
  private pos = 0;
  private mark = 0;
  private lineStart = 0;
  /** Offsets (relative to the head start) of each field: name start, name end, value start, value end. */
  private offsets: number[] = [];
  /** Offsets of the method and target (request) or reason (response) in the start line. */
  private tok0 = 0;
  private tok1 = 0;
  private tok2 = 0;
  private tok3 = 0;

  constructor(mode: HeadMode, limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    this.mode = mode;
    this.limits = limits;
    this.state = this.initialState();
  }

  /** Readies the parser for the next head (a keep-alive request or another response). */
  reset(): void {
    this.state = this.initialState();
    this.pos = 0;
    this.mark = 0;
    this.lineStart = 0;
    this.method = '';
    this.target = '';
    this.minor = 1;
    this.status = 0;
    this.reason = '';
    this.fields = NO_FIELDS;
    this.offsets.length = 0;
    this.errorStatus = 0;
    this.errorText = '';
  }

  /** True once some bytes of a head (besides leading blank lines) were seen. */
  get started(): boolean {
    return this.pos > 0;
  }

  /**
   * Scans `buf[base, end)`, where `base` is the head's first byte (bytes
   * before `base + scanned` must be the same as in the previous call).
   * Returns the index just past the head, NEED_MORE, or PARSE_ERROR.
   */
  feed(buf: Buffer, base: number, end: number): number {
    let state = this.state;
    if (state === S_ERROR) return PARSE_ERROR;
    let i = base + this.pos;
    const headStop = Math.min(end, base + this.limits.maxHeadBytes);
    if (state < S_LINE_START) {
      const lineStop = Math.min(headStop, base + this.lineStart + this.limits.maxStartLineBytes);
      i =
        this.mode === HeadMode.Request
          ? this.requestLine(buf, base, i, lineStop)
          : this.statusLine(buf, base, i, lineStop);
      state = this.state;
      if (state === S_ERROR) return PARSE_ERROR;
      if (state < S_LINE_START) {
        this.pos = i - base;
        if (i >= base + this.lineStart + this.limits.maxStartLineBytes) {
          return this.fail(this.mode === HeadMode.Request ? 414 : 400, 'start line too long');
        }
        if (i >= base + this.limits.maxHeadBytes) return this.fail(431, 'head too large');
        return NEED_MORE;
      }
    }
    const maxHeaders = this.limits.maxHeaders * 4;
    while (i < headStop) {
      switch (state) {
        case S_LINE_START: {
          const c = buf[i]!;
          if (c === CR) {
            state = S_END_LF;
            i++;
          } else if ((CLASS[c]! & TOKEN) !== 0) {
            if (this.offsets.length >= maxHeaders) return this.fail(431, 'too many header fields');
            // Fast path: a whole valid field line is in the buffer. Anything else
            // (an error, a line cut by the end of the data) goes through the states.
            let j = i + 1;
            while (j < headStop && (CLASS[buf[j]!]! & TOKEN) !== 0) j++;
            if (j < headStop && buf[j] === COLON) {
              const nameEnd = j++;
              while (j < headStop && (buf[j] === SP || buf[j] === HTAB)) j++;
              const valueStart = j;
              while (j < headStop && (CLASS[buf[j]!]! & FIELD) !== 0) j++;
              if (j + 1 < headStop && buf[j] === CR && buf[j + 1] === LF) {
                let valueEnd = j;
                while (
                  valueEnd > valueStart &&
                  (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)
                ) {
                  valueEnd--;
                }
                this.offsets.push(i - base, nameEnd - base, valueStart - base, valueEnd - base);
                i = j + 2;
                break;
              }
            }
            this.mark = i - base;
            state = S_NAME;
          } else if (c === SP || c === HTAB) {
            return this.fail(400, 'obsolete line folding');
          } else if (c === LF) {
            return this.fail(400, 'bare LF in head');
          } else {
            return this.fail(400, `invalid byte 0x${c.toString(16)} at start of header name`);
          }
          break;
        }
        case S_NAME: {
          let c = buf[i]!;
          while ((CLASS[c]! & TOKEN) !== 0 && ++i < headStop) c = buf[i]!;
          if (i >= headStop) break;
          if (c !== COLON) {
            return this.fail(
              400,
              c === SP || c === HTAB
                ? 'whitespace before colon'
                : `invalid byte 0x${c.toString(16)} in header name`,
            );
          }
          this.offsets.push(this.mark, i - base);
          state = S_VALUE_OWS;
          i++;
          break;
        }
        case S_VALUE_OWS: {
          const c = buf[i]!;
          if (c === SP || c === HTAB) {
            i++;
            break;
          }
          this.mark = i - base;
          state = S_VALUE;
          break;
        }
        case S_VALUE: {
          // Tight scan to the end of the value; trailing OWS is trimmed once, at the CR.
          let c = buf[i]!;
          while ((CLASS[c]! & FIELD) !== 0 && ++i < headStop) c = buf[i]!;
          if (i >= headStop) break;
          if (c !== CR) {
            return this.fail(
              400,
              c === LF
                ? 'bare LF in header value'
                : `invalid byte 0x${c.toString(16)} in header value`,
            );
          }
          const start = base + this.mark;
          let valueEnd = i;
          while (valueEnd > start && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB))
            valueEnd--;
          this.offsets.push(this.mark, valueEnd - base);
          state = S_VALUE_LF;
          i++;
          break;
        }
        case S_VALUE_LF:
          if (buf[i] !== LF) return this.fail(400, 'bare CR in head');
          i++;
          state = S_LINE_START;
          break;
        case S_END_LF:
          if (buf[i] !== LF) return this.fail(400, 'bare CR in head');
          this.state = S_DONE;
          this.pos = i + 1 - base;
          this.extract(buf, base, i + 1);
          return i + 1;
        default:
          return this.fail(400, 'parser misuse');
      }
    }
    this.state = state;
    this.pos = i - base;
    if (i >= base + this.limits.maxHeadBytes) return this.fail(431, 'head too large');
    return NEED_MORE;
  }

  /**
   * Makes the strings of a complete head: one native latin1 decode of the
   * whole head, then substrings (cheap in V8) for every token, instead of a
   * call into C++ per name and value.
   */
  private extract(buf: Buffer, base: number, end: number): void {
    const head = latin1(buf, base, end);
    if (this.mode === HeadMode.Request) {
      this.method = head.slice(this.tok0, this.tok1);
      this.target = head.slice(this.tok2, this.tok3);
    } else if (this.mode === HeadMode.Response) {
      this.reason = head.slice(this.tok0, this.tok1);
    }
    const offs = this.offsets;
    const n = offs.length;
    const fields: string[] = [];
    for (let k = 0; k < n; k += 2) fields.push(head.slice(offs[k]!, offs[k + 1]!));
    this.fields = fields;
  }

  private initialState(): number {
    if (this.mode === HeadMode.Request) return S_REQ_START;
    return this.mode === HeadMode.Response ? S_RESP_VERSION : S_LINE_START;
  }

  private fail(status: number, text: string): number {
    this.state = S_ERROR;
    this.errorStatus = status;
    this.errorText = text;
    return PARSE_ERROR;
  }

  /** Scans the request line; sets this.state (S_LINE_START when done) and returns the index reached. */
  private requestLine(buf: Buffer, base: number, i: number, stop: number): number {
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
            if (!this.version(buf, base + this.mark, i, true)) return i;
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
  private statusLine(buf: Buffer, base: number, i: number, stop: number): number {
    let state = this.state;
    while (i < stop) {
      const c = buf[i]!;
      switch (state) {
        case S_RESP_VERSION:
          if (i - base === 8) {
            if (c !== SP || !this.version(buf, base, i, false)) {
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
  private version(buf: Buffer, start: number, end: number, request: boolean): boolean {
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
