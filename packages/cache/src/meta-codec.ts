/**
 * The compact binary form of CacheMeta, for storages that hold bytes
 * (Redis, disk). Layout: magic+version, times as float64, windows as
 * uint32, the variance, the status line and header fields as
 * length-prefixed latin1, extensions as length-prefixed UTF-8. Decoding
 * checks every length and re-validates every field.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type HttpVersion, isHttpVersion, ResponseHeader } from '@pingora-ts/http';
import { CacheMeta } from './meta.ts';

const MAGIC = 0x50; // 'P'
const FORMAT = 1;

class Writer {
  #buf = Buffer.allocUnsafe(256);
  #o = 0;
  #room(n: number): void {
    if (this.#o + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#o + n));
    this.#buf.copy(next, 0, 0, this.#o);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#o++] = v;
  }
  u16(v: number): void {
    this.#room(2);
    this.#o = this.#buf.writeUInt16BE(v, this.#o);
  }
  u32(v: number): void {
    this.#room(4);
    this.#o = this.#buf.writeUInt32BE(v, this.#o);
  }
  f64(v: number): void {
    this.#room(8);
    this.#o = this.#buf.writeDoubleBE(v, this.#o);
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.#room(b.length);
    this.#o += b.copy(this.#buf, this.#o);
  }
  str(s: string, enc: 'latin1' | 'utf8'): void {
    this.bytes(Buffer.from(s, enc));
  }
  done(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#o));
  }
}

class Reader {
  readonly #b: Buffer;
  #o = 0;
  constructor(b: Buffer) {
    this.#b = b;
  }
  #need(n: number): void {
    if (this.#o + n > this.#b.length) throw bad('truncated');
  }
  u8(): number {
    this.#need(1);
    return this.#b[this.#o++]!;
  }
  u16(): number {
    this.#need(2);
    const v = this.#b.readUInt16BE(this.#o);
    this.#o += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#b.readUInt32BE(this.#o);
    this.#o += 4;
    return v;
  }
  f64(): number {
    this.#need(8);
    const v = this.#b.readDoubleBE(this.#o);
    this.#o += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    this.#need(n);
    const v = Buffer.from(this.#b.subarray(this.#o, this.#o + n));
    this.#o += n;
    return v;
  }
  str(enc: 'latin1' | 'utf8'): string {
    return this.bytes().toString(enc);
  }
  get atEnd(): boolean {
    return this.#o === this.#b.length;
  }
}

function bad(why: string): PingoraError {
  return PingoraError.explain(ErrorType.InternalError, `invalid serialized cache meta: ${why}`);
}

/** Serializes `meta` to its compact binary form. */
export function encodeMeta(meta: CacheMeta): Buffer {
  const w = new Writer();
  w.u8(MAGIC);
  w.u8(FORMAT);
  w.f64(meta.created);
  w.f64(meta.updated);
  w.f64(meta.freshUntil);
  w.u32(meta.staleWhileRevalidateSec);
  w.u32(meta.staleIfErrorSec);
  w.u32(meta.initialAgeSec);
  if (meta.variance === undefined) w.u8(0);
  else {
    w.u8(1);
    w.bytes(meta.variance);
  }
  const h = meta.header;
  w.u16(h.status);
  w.str(h.version, 'latin1');
  w.str(h.reason, 'latin1');
  w.u32(h.headerCount);
  h.forEachHeader((name, value) => {
    w.str(name, 'latin1');
    w.str(value, 'latin1');
  });
  w.u32(meta.extensions.size);
  for (const [k, v] of meta.extensions) {
    w.str(k, 'utf8');
    w.str(v, 'utf8');
  }
  return w.done();
}

/** Parses what encodeMeta wrote; throws a PingoraError (InternalError) on anything else. */
export function decodeMeta(bytes: Buffer): CacheMeta {
  const r = new Reader(bytes);
  if (r.u8() !== MAGIC) throw bad('bad magic');
  const format = r.u8();
  if (format !== FORMAT) throw bad(`unknown format ${format}`);
  const created = r.f64();
  const updated = r.f64();
  const freshUntil = r.f64();
  const staleWhileRevalidateSec = r.u32();
  const staleIfErrorSec = r.u32();
  const initialAgeSec = r.u32();
  const hasVariance = r.u8();
  if (hasVariance > 1) throw bad('bad variance flag');
  const variance = hasVariance === 1 ? r.bytes() : undefined;
  const status = r.u16();
  const version = r.str('latin1');
  if (!isHttpVersion(version)) throw bad(`bad version ${version}`);
  const reason = r.str('latin1');
  let header: ResponseHeader;
  try {
    header = ResponseHeader.build(status, version as HttpVersion);
    header.reason = reason;
    const count = r.u32();
    for (let i = 0; i < count; i++) header.appendHeader(r.str('latin1'), r.str('latin1'));
  } catch (err) {
    if (PingoraError.is(err) && err.type === ErrorType.InternalError) throw err;
    throw PingoraError.because(ErrorType.InternalError, 'invalid serialized cache meta', err);
  }
  const extensions = new Map<string, string>();
  const n = r.u32();
  for (let i = 0; i < n; i++) extensions.set(r.str('utf8'), r.str('utf8'));
  if (!r.atEnd) throw bad('trailing bytes');
  for (const t of [created, updated, freshUntil]) if (!Number.isFinite(t)) throw bad('bad time');
  return new CacheMeta({
    created,
    updated,
    freshUntil,
    staleWhileRevalidateSec,
    staleIfErrorSec,
    initialAgeSec,
    header,
    variance,
    extensions,
  });
}
