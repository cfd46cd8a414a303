/**
 * Byte ranges (RFC 9110 §14, Pingora's range_filter): parses Range against a
 * known length, checks If-Range, rewrites the response head (206 with
 * Content-Range, multipart/byteranges, 416 with `bytes *\/len`), and slices
 * a streamed body into the ranged body (RangeBody). Ranges are sorted and
 * overlapping ones coalesced, which §14.2 allows, so a body streams in order.
 */
import { randomBytes } from 'node:crypto';
import { type RequestHeader, type ResponseHeader, trimOws } from '@pingora-ts/http';

/** A byte range, start inclusive, end exclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'single'; readonly range: ByteRange }
  | { readonly kind: 'multi'; readonly ranges: readonly ByteRange[] }
  | { readonly kind: 'invalid' };

/** Pingora's bound on ranges in one request; more and the whole body is sent. */
export const MAX_RANGES = 200;

const NONE: RangeRequest = { kind: 'none' };
const INVALID: RangeRequest = { kind: 'invalid' };
const SPEC = /^[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/;

/**
 * Parses a Range value for a body of `length` bytes. A value that is not a
 * `bytes=` range set, or has more than `maxRanges`, is ignored ('none');
 * a valid set with nothing satisfiable is 'invalid' (416).
 */
export function parseRange(value: string, length: number, maxRanges = MAX_RANGES): RangeRequest {
  const v = trimOws(value);
  const eq = v.indexOf('=');
  if (eq === -1 || trimOws(v.slice(0, eq)).toLowerCase() !== 'bytes') return NONE;
  const specs = v.slice(eq + 1).split(',');
  const nonEmpty = specs.filter((s) => trimOws(s).length > 0);
  if (nonEmpty.length === 0 || nonEmpty.length > maxRanges) return NONE;
  const ranges: ByteRange[] = [];
  for (const spec of nonEmpty) {
    const m = SPEC.exec(spec);
    if (m === null) return NONE;
    const [, a = '', b = ''] = m;
    if (a === '' && b === '') return NONE;
    if (a === '') {
      // suffix range: the last b bytes
      const n = Number(b);
      if (n === 0) continue;
      ranges.push({ start: Math.max(0, length - n), end: length });
      continue;
    }
    const start = Number(a);
    const last = b === '' ? length - 1 : Number(b);
    if (b !== '' && last < start) return NONE;
    if (start >= length) continue;
    ranges.push({ start, end: Math.min(last, length - 1) + 1 });
  }
  if (ranges.length === 0) return INVALID;
  ranges.sort((x, y) => x.start - y.start);
  const merged: ByteRange[] = [ranges[0]!];
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i]!;
    const top = merged[merged.length - 1]!;
    if (r.start <= top.end)
      merged[merged.length - 1] = { start: top.start, end: Math.max(top.end, r.end) };
    else merged.push(r);
  }
  if (merged.length === 1) return { kind: 'single', range: merged[0]! };
  return { kind: 'multi', ranges: merged };
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag match or the exact Last-Modified date. */
export function ifRangeMatches(ifRange: string, resp: ResponseHeader): boolean {
  const v = trimOws(ifRange);
  if (v.startsWith('"') || v.startsWith('W/')) {
    const etag = resp.getHeader('etag');
    return etag !== undefined && !v.startsWith('W/') && !etag.startsWith('W/') && etag === v;
  }
  const lm = resp.getHeader('last-modified');
  return lm !== undefined && trimOws(lm) === v;
}

/** Pingora's default rangeHeaderFilter decision for a full 200 `resp` to `req`. */
export function rangeRequestFor(req: RequestHeader, resp: ResponseHeader): RangeRequest {
  if (resp.status !== 200 || (req.method !== 'GET' && req.method !== 'HEAD')) return NONE;
  // the request first: without a Range (nearly every hit) the stored head is not read
  const range = req.getHeader('range');
  if (range === undefined) return NONE;
  const cl = resp.getHeader('content-length');
  if (cl === undefined || !/^\d+$/.test(cl)) return NONE;
  const ifRange = req.getHeader('if-range');
  if (ifRange !== undefined && !ifRangeMatches(ifRange, resp)) return NONE;
  return parseRange(range, Number(cl));
}

/** The multipart/byteranges layout of a ranged response. */
export class RangeBody {
  readonly request: RangeRequest;
  readonly length: number;
  readonly #parts: Buffer[] = [];
  readonly #tail: Buffer | undefined;
  #offset = 0;
  #index = 0;
  #tailSent = false;

  /**
   * Rewrites `resp` (a 200 head with Content-Length = `length`) for `request`
   * and prepares the body slicing. 'none' adds Accept-Ranges: bytes.
   */
  constructor(request: RangeRequest, resp: ResponseHeader, length: number) {
    this.request = request;
    this.length = length;
    switch (request.kind) {
      case 'none':
        if (resp.getHeader('accept-ranges') !== 'bytes')
          resp.insertHeader('Accept-Ranges', 'bytes');
        break;
      case 'invalid':
        resp.status = 416;
        resp.insertHeader('Content-Range', `bytes */${length}`);
        resp.insertHeader('Content-Length', 0);
        resp.removeHeader('content-type');
        break;
      case 'single': {
        const { start, end } = request.range;
        resp.status = 206;
        resp.insertHeader('Content-Range', `bytes ${start}-${end - 1}/${length}`);
        resp.insertHeader('Content-Length', end - start);
        break;
      }
      case 'multi': {
        const boundary = randomBytes(12).toString('hex');
        const type = resp.getHeader('content-type');
        let total = 0;
        for (const r of request.ranges) {
          const head =
            `\r\n--${boundary}\r\n` +
            (type === undefined ? '' : `Content-Type: ${type}\r\n`) +
            `Content-Range: bytes ${r.start}-${r.end - 1}/${length}\r\n\r\n`;
          const b = Buffer.from(head, 'latin1');
          this.#parts.push(b);
          total += b.length + (r.end - r.start);
        }
        this.#tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
        total += this.#tail.length;
        resp.status = 206;
        resp.insertHeader('Content-Type', `multipart/byteranges; boundary=${boundary}`);
        resp.insertHeader('Content-Length', total);
        resp.removeHeader('content-range');
        break;
      }
    }
  }

  /** The part of `chunk` (the next bytes of the full body) that goes downstream. */
  filter(chunk: Buffer): Buffer | null {
    const from = this.#offset;
    this.#offset += chunk.length;
    const req = this.request;
    if (req.kind === 'none') return chunk;
    if (req.kind === 'invalid') return null;
    if (req.kind === 'single') return clip(chunk, from, req.range);
    const out: Buffer[] = [];
    const ranges = req.ranges;
    while (this.#index < ranges.length) {
      const r = ranges[this.#index]!;
      if (r.start >= this.#offset) break;
      if (from <= r.start) out.push(this.#parts[this.#index]!);
      const piece = clip(chunk, from, r);
      if (piece !== null) out.push(piece);
      if (r.end <= this.#offset) this.#index++;
      else break;
    }
    if (this.#index === ranges.length && !this.#tailSent) {
      this.#tailSent = true;
      out.push(this.#tail!);
    }
    return out.length === 0 ? null : out.length === 1 ? out[0]! : Buffer.concat(out);
  }
}

function clip(chunk: Buffer, from: number, r: ByteRange): Buffer | null {
  const s = Math.max(r.start, from);
  const e = Math.min(r.end, from + chunk.length);
  return s < e ? chunk.subarray(s - from, e - from) : null;
}
