/**
 * A strict, bounded HTTP/1.x response reader for health checks: the status
 * line and headers (size-capped, no obsolete folding, no ambiguous framing)
 * and the body framed by Content-Length, chunked encoding or connection
 * close, capped in size. Anything it cannot read unambiguously is an error.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';

export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface ResponseHead {
  readonly status: number;
  /** Bytes of the head, including the blank line. */
  readonly length: number;
  /** How the body is framed: a byte count, chunked, or until the connection closes. */
  readonly framing: number | 'chunked' | 'close';
}

export function h1Error(message: string): PingoraError {
  return PingoraError.create(ErrorType.H1Error, ErrorSource.Upstream, message);
}

/**
 * Parses a response head from the start of `buf`; undefined when more bytes
 * are needed. `noBody`: the request was HEAD, so no body follows whatever
 * the headers say.
 */
export function parseResponseHead(buf: Buffer, noBody: boolean): ResponseHead | undefined {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) {
    if (buf.length > MAX_HEAD_BYTES)
      throw h1Error(`response head larger than ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  if (end + 4 > MAX_HEAD_BYTES) throw h1Error(`response head larger than ${MAX_HEAD_BYTES} bytes`);
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const statusMatch = STATUS_LINE.exec(lines[0]!);
  if (statusMatch === null)
    throw h1Error(`invalid status line ${JSON.stringify(lines[0]!.slice(0, 64))}`);
  const status = Number(statusMatch[1]);
  if (lines.length - 1 > MAX_HEADERS) throw h1Error(`more than ${MAX_HEADERS} response headers`);
  let contentLength: number | undefined;
  let chunked = false;
  let transferEncoding = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw h1Error(`invalid header line ${JSON.stringify(line.slice(0, 64))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name))
      throw h1Error(`invalid header name ${JSON.stringify(name.slice(0, 64))}`);
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw h1Error(`invalid value of header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (!/^\d{1,15}$/.test(value))
        throw h1Error(`invalid Content-Length ${JSON.stringify(value)}`);
      const n = Number(value);
      if (contentLength !== undefined && contentLength !== n)
        throw h1Error('conflicting Content-Length headers');
      contentLength = n;
    } else if (lower === 'transfer-encoding') {
      transferEncoding = true;
      const codings = value
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      chunked = codings[codings.length - 1] === 'chunked';
    }
  }
  const length = end + 4;
  if (noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, length, framing: 0 };
  }
  if (transferEncoding) {
    if (contentLength !== undefined) throw h1Error('both Transfer-Encoding and Content-Length');
    return { status, length, framing: chunked ? 'chunked' : 'close' };
  }
  return { status, length, framing: contentLength ?? 'close' };
}

/** Collects a body under a size cap. `push` returns true once the body is complete. */
export class BodyCollector {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private readonly framing: number | 'chunked' | 'close';
  private readonly maxBytes: number;
  private done = false;
  // Chunked decoding state.
  private pending: Buffer = Buffer.alloc(0);
  private chunkLeft = 0;
  private phase: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';
  private trailers = 0;

  constructor(framing: number | 'chunked' | 'close', maxBytes: number) {
    this.framing = framing;
    this.maxBytes = maxBytes;
    if (framing === 0) this.done = true;
  }

  get complete(): boolean {
    return this.done;
  }

  body(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }

  push(chunk: Buffer): boolean {
    if (this.done) return true;
    if (this.framing === 'chunked') return this.pushChunked(chunk);
    if (this.framing === 'close') {
      this.append(chunk);
      return false;
    }
    const left = this.framing - this.size;
    this.append(chunk.length > left ? chunk.subarray(0, left) : chunk);
    if (this.size === this.framing) this.done = true;
    return this.done;
  }

  /** The connection closed: complete only for close-delimited bodies. */
  end(): boolean {
    if (this.framing === 'close') this.done = true;
    return this.done;
  }

  private append(data: Buffer): void {
    if (data.length === 0) return;
    this.size += data.length;
    if (this.size > this.maxBytes)
      throw h1Error(`response body larger than ${this.maxBytes} bytes`);
    this.parts.push(data);
  }

  private pushChunked(chunk: Buffer): boolean {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.phase === 'data') {
        const take = Math.min(this.chunkLeft, buf.length);
        this.append(buf.subarray(0, take));
        this.chunkLeft -= take;
        buf = buf.subarray(take);
        if (this.chunkLeft > 0) break;
        this.phase = 'data-crlf';
        continue;
      }
      const eol = buf.indexOf('\r\n', 0, 'latin1');
      if (eol < 0) {
        if (buf.length > 1024) throw h1Error('chunk line longer than 1024 bytes');
        break;
      }
      const line = buf.toString('latin1', 0, eol);
      buf = buf.subarray(eol + 2);
      if (this.phase === 'data-crlf') {
        if (line !== '') throw h1Error('missing CRLF after chunk data');
        this.phase = 'size';
      } else if (this.phase === 'size') {
        const m = /^([0-9a-fA-F]{1,8})(?:[ \t]*;[\t\x20-\x7e]*)?$/.exec(line);
        if (m === null)
          throw h1Error(`invalid chunk size line ${JSON.stringify(line.slice(0, 32))}`);
        this.chunkLeft = Number.parseInt(m[1]!, 16);
        this.phase = this.chunkLeft === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        this.done = true;
        this.pending = Buffer.alloc(0);
        return true;
      } else if (line.indexOf(':') <= 0 || ++this.trailers > MAX_HEADERS) {
        throw h1Error('invalid trailer line');
      }
    }
    this.pending = Buffer.from(buf);
    return false;
  }
}
