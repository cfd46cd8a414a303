/**
 * The HTTP/1 head parser: a byte-level state machine over Buffers that reads a
 * request line, a status line or a trailer section, then header fields, strict
 * per RFC 9112. It is incremental: fed the bytes of an unfinished head again
 * with more appended, it resumes where it stopped, and it enforces the size
 * and count limits while scanning, so an endless head is refused early.
 */
import { CLASS, COLON, CR, FIELD, HTAB, LF, SP, TOKEN } from './char-class.ts';
import { commonToken } from './header-names.ts';
import { latin1 } from './latin1.ts';
import {
  type HeadLimits,
  HeadMode,
  NEED_MORE,
  PARSE_ERROR,
  S_DONE,
  S_END_LF,
  S_ERROR,
  S_LINE_START,
  S_NAME,
  S_REQ_START,
  S_RESP_VERSION,
  S_VALUE,
  S_VALUE_LF,
  S_VALUE_OWS,
  StartLineScanner,
} from './start-line.ts';

export { type HeadLimits, HeadMode, NEED_MORE, PARSE_ERROR } from './start-line.ts';

export const DEFAULT_HEAD_LIMITS: HeadLimits = {
  maxHeadBytes: 64 * 1024,
  maxHeaders: 128,
  maxStartLineBytes: 8 * 1024,
};

/** The fields of a head not yet parsed: shared, never written (extract() assigns new arrays). */
const NO_FIELDS: string[] = [];
const NO_STARTS: number[] = [];

export class HeadParser extends StartLineScanner {
  /**
   * The fields of the last complete head: names (case kept), values (OWS
   * trimmed) and where each field line starts in `text`. New arrays per
   * head, of exactly the field count, which a header list may adopt as
   * they are: the parser never writes them again.
   */
  names: string[] = NO_FIELDS;
  values: string[] = NO_FIELDS;
  lineStarts: number[] = NO_STARTS;
  /** The whole head as latin1 text once complete ('' before): every string above is a slice of it. */
  text = '';
  /** Offsets (relative to the head start) of each field: name start, name end, value start, value end. */
  readonly #offsets: number[] = [];
  /** How many entries of #offsets belong to the current head (the array is kept to be reused). */
  #count = 0;

  constructor(mode: HeadMode, limits: HeadLimits = DEFAULT_HEAD_LIMITS) {
    super(mode, limits);
    this.state = this.#initialState();
  }

  /** Readies the parser for the next head (a keep-alive request or another response). */
  reset(): void {
    this.state = this.#initialState();
    this.pos = 0;
    this.mark = 0;
    this.lineStart = 0;
    this.method = '';
    this.target = '';
    this.minor = 1;
    this.status = 0;
    this.reason = '';
    this.names = NO_FIELDS;
    this.values = NO_FIELDS;
    this.lineStarts = NO_STARTS;
    this.text = '';
    this.#count = 0;
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
            if (this.#count >= maxHeaders) return this.fail(431, 'too many header fields');
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
                this.#put(i - base, nameEnd - base);
                this.#put(valueStart - base, valueEnd - base);
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
          this.#put(this.mark, i - base);
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
          this.#put(this.mark, valueEnd - base);
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
          this.#extract(buf, base, i + 1);
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
  #extract(buf: Buffer, base: number, end: number): void {
    const head = latin1(buf, base, end);
    if (this.mode === HeadMode.Request) {
      this.method = head.slice(this.tok0, this.tok1);
      this.target = head.slice(this.tok2, this.tok3);
    } else if (this.mode === HeadMode.Response) {
      this.reason = head.slice(this.tok0, this.tok1);
    }
    this.text = head;
    const offs = this.#offsets;
    const n = this.#count;
    const count = n >> 2;
    const names: string[] = new Array(count);
    const values: string[] = new Array(count);
    const starts: number[] = new Array(count);
    for (let f = 0, k = 0; f < count; f++, k += 4) {
      const start = offs[k]!;
      starts[f] = start;
      const nameEnd = offs[k + 1]!;
      const valueStart = offs[k + 2]!;
      const valueEnd = offs[k + 3]!;
      names[f] = commonToken(buf, base + start, base + nameEnd) ?? head.slice(start, nameEnd);
      values[f] =
        commonToken(buf, base + valueStart, base + valueEnd) ?? head.slice(valueStart, valueEnd);
    }
    this.names = names;
    this.values = values;
    this.lineStarts = starts;
  }

  /** Records a start and end offset, reusing the array's slots from earlier heads. */
  #put(start: number, end: number): void {
    const offs = this.#offsets;
    const k = this.#count;
    if (k < offs.length) {
      offs[k] = start;
      offs[k + 1] = end;
    } else offs.push(start, end);
    this.#count = k + 2;
  }

  #initialState(): number {
    if (this.mode === HeadMode.Request) return S_REQ_START;
    return this.mode === HeadMode.Response ? S_RESP_VERSION : S_LINE_START;
  }
}
