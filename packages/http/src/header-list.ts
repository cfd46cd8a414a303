/**
 * HeaderList: the ordered, case-preserving header fields shared by
 * RequestHeader and ResponseHeader (Pingora keeps a case map beside http's
 * HeaderMap for the same purpose). Three parallel arrays hold the names as
 * given, their lower-case forms and the values; lookups are linear scans.
 * For the 10-30 fields of a typical head that builds several times faster
 * than a Map-keyed store, with lookups on par up to ~30 fields (see
 * bench/src/header-map.bench.ts). Fields a parser appended from validated
 * bytes remember where their line was, so a field nobody changed goes out
 * again exactly as it came in (copy on write: see adoptParsed). A head
 * written many times (a cache's stored response) can have its fields encoded
 * once and shared by its clones (see encodeFields), and a copy made to be
 * sent and thrown away can share a frozen head's fields instead of copying
 * them (see shareFieldsOf).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { writeLatin1, writeLatin1Range } from './latin1.ts';
import { validateHeaderName, validateHeaderValue } from './validate.ts';

/**
 * The lower-case form of a header name. V8's toLowerCase is faster than
 * scanning for upper-case letters first (measured: 1.4x on 5 lookups).
 */
export function lowerHeaderName(name: string): string {
  return name.toLowerCase();
}

/** Most names the lookup cache keeps, and the longest it keeps: it stays small whatever it is fed. */
const LOOKUP_CACHE_SIZE = 1024;
const LOOKUP_CACHE_NAME_MAX = 64;
const lookupCache = new Map<string, string>();

/**
 * The lower-case form of a name used to look fields up. Lookup names are
 * nearly always literals in code (`'Content-Length'`), whose hash V8 keeps, so
 * a bounded memo beats lower-casing every call (measured 1.2-1.7x on 5
 * lookups). Appends do not use it: parsed names would only churn it.
 */
function lookupName(name: string): string {
  let lower = lookupCache.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lookupCache.size < LOOKUP_CACHE_SIZE && name.length <= LOOKUP_CACHE_NAME_MAX) {
      lookupCache.set(name, lower);
    }
  }
  return lower;
}

export class HeaderList {
  #names: string[] = [];
  #lower: string[] = [];
  #values: string[] = [];
  /** The validated head text that parsed fields came from ('' when none). */
  #rawText = '';
  /**
   * Per field: where its line (`Name: value\r\n` as received) starts in
   * #rawText while the field is unchanged, else -1. Undefined while no field
   * came from a parser, which costs other lists nothing.
   */
  #rawAt: number[] | undefined;
  /** Field lines [0, #wireCount) in wire form (see encodeFields); shared with clones, never written to. */
  #wire: Buffer | undefined;
  #wireCount = 0;
  /**
   * A frozen list whose fields come before this list's own (shareFieldsOf):
   * lookups and writes read it in place; a change to one of its fields
   * first copies them all into this list (#unshare).
   */
  #base: HeaderList | undefined;
  /** Set on a list others share: any change to it is a bug (InternalError). */
  #frozen = false;

  /** How many field lines the head holds (a repeated header counts once per line). */
  get headerCount(): number {
    const base = this.#base;
    return (base === undefined ? 0 : base.#names.length) + this.#names.length;
  }

  /**
   * Sets `name` to the single value `value`: the first existing field of that
   * name (case-insensitive) keeps its position and takes the new name's case,
   * later ones are removed; with none, the field is appended. Throws
   * InvalidHTTPHeader on an invalid name or value (see validateHeaderValue:
   * edge whitespace is trimmed).
   */
  insertHeader(name: string, value: string | number): this {
    validateHeaderName(name);
    const v = validateHeaderValue(name, value);
    const lower = lookupName(name);
    this.#mutable(lower);
    const lowers = this.#lower;
    const first = lowers.indexOf(lower);
    if (first === -1) {
      this.#pushField(name, lower, v);
      return this;
    }
    if (first < this.#wireCount) this.#dropWire();
    this.#names[first] = name;
    this.#values[first] = v;
    if (this.#rawAt !== undefined) this.#rawAt[first] = -1;
    this.#removeFrom(lower, first + 1);
    return this;
  }

  /** Adds a field line after all others, keeping any existing values of the same name. Validates like insertHeader. */
  appendHeader(name: string, value: string | number): this {
    validateHeaderName(name);
    const v = validateHeaderValue(name, value);
    if (this.#frozen) throw frozenList();
    this.#pushField(name, lowerHeaderName(name), v);
    return this;
  }

  /**
   * Appends a field line WITHOUT any validation: the fast path for protocol
   * parsers that have already checked every byte of `name` and `value` (token
   * name; value trimmed, with no CTL but HTAB and no char above 0xFF). Passing
   * unchecked user input here can put CR/LF on the wire; never do that.
   * `lower` may carry the lower-case name if the caller already has it.
   */
  appendUnchecked(name: string, value: string, lower?: string): void {
    if (this.#frozen) throw frozenList();
    this.#pushField(name, lower ?? lowerHeaderName(name), value);
  }

  #pushField(name: string, lower: string, value: string): void {
    if (this.#base !== undefined && this.#names.length === 0) {
      // the first own field of a shared copy: room for a few (a push onto [] reserves 17)
      this.#names = firstOf(name);
      this.#lower = firstOf(lower);
      this.#values = firstOf(value);
      this.#rawAt?.push(-1);
      return;
    }
    this.#names.push(name);
    this.#lower.push(lower);
    this.#values.push(value);
    this.#rawAt?.push(-1);
  }

  /**
   * Takes the fields a parser read from `text` (the validated head as
   * latin1): parallel arrays of names, values and where each field line
   * (`Name: value\r\n` as received) starts in `text`. The list owns the
   * arrays from then on: the caller must not touch them again. `lowerOf`
   * may supply interned lower-case names. While a field is not changed it
   * is written back from its line, byte for byte (its whitespace included).
   * Nothing is validated (the trust rules of appendUnchecked); on a list
   * that already has fields they are appended as plain fields.
   * @internal for protocol parsers.
   */
  adoptParsed(
    names: string[],
    values: string[],
    text: string,
    lineStarts: number[],
    lowerOf?: (name: string) => string | undefined,
  ): void {
    const n = names.length;
    this.#mutable(undefined);
    if (this.#names.length > 0) {
      for (let i = 0; i < n; i++) this.appendUnchecked(names[i]!, values[i]!, lowerOf?.(names[i]!));
      return;
    }
    const lowers: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      lowers[i] = lowerOf?.(name) ?? lowerHeaderName(name);
    }
    this.#names = names;
    this.#lower = lowers;
    this.#values = values;
    this.#rawAt = lineStarts;
    this.#rawText = text;
  }

  /** True when field line `index` still holds the bytes it was parsed from (see adoptParsed). */
  isRawAt(index: number): boolean {
    const base = this.#base;
    let i = index;
    if (base !== undefined) {
      if (i < base.#names.length) return base.isRawAt(i);
      i -= base.#names.length;
    }
    const rawAt = this.#rawAt;
    return rawAt !== undefined && (rawAt[i] ?? -1) >= 0;
  }

  /** Removes every field of `name` (case-insensitive); returns their values in order, or undefined if there were none. */
  removeHeader(name: string): string[] | undefined {
    const lower = lookupName(name);
    this.#mutable(lower);
    const first = this.#lower.indexOf(lower);
    if (first === -1) return undefined;
    if (first < this.#wireCount) this.#dropWire();
    const removed: string[] = [];
    this.#removeFrom(lower, first, removed);
    return removed;
  }

  /** The first value of `name` (case-insensitive), or undefined. */
  getHeader(name: string): string | undefined {
    const lower = lookupName(name);
    const base = this.#base;
    if (base !== undefined) {
      const b = base.#lower.indexOf(lower);
      if (b !== -1) return base.#values[b];
    }
    const i = this.#lower.indexOf(lower);
    return i === -1 ? undefined : this.#values[i];
  }

  /** Every value of `name` (case-insensitive) in order; empty when absent. */
  getAll(name: string): string[] {
    const lower = lookupName(name);
    const out: string[] = [];
    if (this.#base !== undefined) this.#base.#valuesOf(lower, out);
    this.#valuesOf(lower, out);
    return out;
  }

  #valuesOf(lower: string, out: string[]): void {
    const lowers = this.#lower;
    for (let i = lowers.indexOf(lower); i !== -1 && i < lowers.length; i++) {
      if (lowers[i] === lower) out.push(this.#values[i]!);
    }
  }

  /** True when at least one field of `name` (case-insensitive) is present. */
  hasHeader(name: string): boolean {
    const lower = lookupName(name);
    if (this.#base !== undefined && this.#base.#lower.indexOf(lower) !== -1) return true;
    return this.#lower.indexOf(lower) !== -1;
  }

  /** True when a field's lower-case name is in `lowerNames` (one pass, for sets of names). */
  hasAnyOf(lowerNames: ReadonlySet<string>): boolean {
    if (this.#base?.hasAnyOf(lowerNames) === true) return true;
    const lowers = this.#lower;
    for (let i = 0; i < lowers.length; i++) if (lowerNames.has(lowers[i]!)) return true;
    return false;
  }

  /** Removes every field whose lower-case name is in `lowerNames`, in one compacting pass. */
  removeAllOf(lowerNames: ReadonlySet<string>): void {
    if (this.#frozen) throw frozenList();
    if (this.#base?.hasAnyOf(lowerNames) === true) this.#unshare();
    const lowers = this.#lower;
    for (let i = 0; i < lowers.length; i++) {
      if (lowerNames.has(lowers[i]!)) {
        if (i < this.#wireCount) this.#dropWire();
        this.#removeFrom(lowers[i]!, i, undefined, lowerNames);
        return;
      }
    }
  }

  /** Calls `cb` with each field line's name (original case) and value, in order. */
  forEachHeader(cb: (name: string, value: string) => void): void {
    this.#unshare();
    const names = this.#names;
    const values = this.#values;
    for (let i = 0; i < names.length; i++) cb(names[i]!, values[i]!);
  }

  /** The name (original case) of each field line in order; a repeated header appears once per line. */
  headerNames(): string[] {
    this.#unshare();
    return this.#names.slice();
  }

  /** The name of field line `index` (0 <= index < headerCount), for index loops without allocation. */
  nameAt(index: number): string | undefined {
    const base = this.#base;
    if (base === undefined) return this.#names[index];
    const n = base.#names.length;
    return index < n ? base.#names[index] : this.#names[index - n];
  }

  /** The value of field line `index`. */
  valueAt(index: number): string | undefined {
    const base = this.#base;
    if (base === undefined) return this.#values[index];
    const n = base.#names.length;
    return index < n ? base.#values[index] : this.#values[index - n];
  }

  /** `[name, value]` pairs in order, names in their original case. */
  *entries(): IterableIterator<[string, string]> {
    this.#unshare();
    const names = this.#names;
    const values = this.#values;
    for (let i = 0; i < names.length; i++) yield [names[i]!, values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Removes every field. */
  clearHeaders(): void {
    if (this.#frozen) throw frozenList();
    this.#base = undefined;
    this.#dropWire();
    this.#names.length = 0;
    this.#lower.length = 0;
    this.#values.length = 0;
    this.#rawAt = undefined;
    this.#rawText = '';
  }

  /** Bytes the field lines take on the HTTP/1 wire (`Name: value\r\n` each), without the final CRLF. */
  headersWireLength(): number {
    const names = this.#names;
    const values = this.#values;
    const rawAt = this.#rawAt;
    const from = this.#wireCount;
    let n = (names.length - from) * 4 + (from > 0 ? (this.#wire as Buffer).length : 0);
    if (this.#base !== undefined) n += this.#base.headersWireLength();
    for (let i = from; i < names.length; i++) {
      const at = rawAt === undefined ? -1 : rawAt[i]!;
      n += at < 0 ? names[i]!.length + values[i]!.length : this.#rawLineEnd(i, at) - at - 4;
    }
    return n;
  }

  /**
   * Encodes the field lines once and keeps the bytes, shared with clones:
   * writeHeaders then copies them instead of writing field by field, for
   * as long as those fields stay unchanged (fields appended later are
   * written as usual; changing or removing an encoded one drops the bytes).
   * For heads written many times, such as a cache's stored responses.
   */
  encodeFields(): void {
    this.#unshare();
    this.#dropWire();
    const wire = Buffer.allocUnsafeSlow(this.headersWireLength());
    this.writeHeaders(wire, 0);
    this.#wire = wire;
    this.#wireCount = this.#names.length;
  }

  /** How many leading field lines writeHeaders copies as encoded bytes (0: none are). */
  get encodedFieldCount(): number {
    return this.#base !== undefined ? this.#base.#wireCount : this.#wireCount;
  }

  /**
   * Writes the field lines (`Name: value\r\n` each, original case and order)
   * into `buf` at `offset` and returns the offset after them. `buf` must hold
   * headersWireLength() bytes from `offset`.
   */
  writeHeaders(buf: Buffer, offset: number): number {
    const names = this.#names;
    const values = this.#values;
    const rawAt = this.#rawAt;
    let o = this.#base !== undefined ? this.#base.writeHeaders(buf, offset) : offset;
    const from = this.#wireCount;
    if (from > 0) o += (this.#wire as Buffer).copy(buf, o);
    for (let i = from; i < names.length; i++) {
      const at = rawAt === undefined ? -1 : rawAt[i]!;
      if (at >= 0) {
        // A run of unchanged lines that were adjacent in the received head: one copy.
        let end = this.#rawLineEnd(i, at);
        while (i + 1 < names.length && rawAt![i + 1] === end) end = this.#rawLineEnd(++i, end);
        o = writeLatin1Range(buf, o, this.#rawText, at, end);
        continue;
      }
      o = writeLatin1(buf, o, names[i]!);
      buf[o++] = 0x3a; // ':'
      buf[o++] = 0x20;
      o = writeLatin1(buf, o, values[i]!);
      buf[o++] = 0x0d;
      buf[o++] = 0x0a;
    }
    return o;
  }

  /** Copies `other`'s fields over this list's (used by clone()). */
  protected copyHeadersFrom(other: HeaderList): void {
    this.#base = other.#base;
    this.#names = withRoom(other.#names);
    this.#lower = withRoom(other.#lower);
    this.#values = withRoom(other.#values);
    this.#rawAt = other.#rawAt === undefined ? undefined : withRoom(other.#rawAt);
    this.#rawText = other.#rawText;
    this.#wire = other.#wire;
    this.#wireCount = other.#wireCount;
  }

  /**
   * Makes this (empty) list start with `base`'s fields, shared rather than
   * copied: for a copy that is changed a little, sent and dropped, such as a
   * cache hit's head. `base` must have no shared fields of its own and is
   * frozen from then on (a change to it throws InternalError); this list's
   * changes never reach it. False (nothing done) when `base` shares fields itself.
   */
  protected shareFieldsOf(base: HeaderList): boolean {
    // one level only: a list that shares fields itself is copied instead
    if (base.#base !== undefined || this.#names.length > 0 || this.#base !== undefined) {
      return false;
    }
    base.#frozen = true;
    this.#base = base;
    return true;
  }

  /** Before a change that may touch field `lower` (undefined: any field): copy shared fields it needs. */
  #mutable(lower: string | undefined): void {
    if (this.#frozen) throw frozenList();
    const base = this.#base;
    if (base !== undefined && (lower === undefined || base.#lower.indexOf(lower) !== -1)) {
      this.#unshare();
    }
  }

  /** Copies the shared fields in front of this list's own: from then on it is a plain list. */
  #unshare(): void {
    const base = this.#base;
    if (base === undefined) return;
    this.#base = undefined;
    const own = this.#names.length;
    const n = base.#names.length;
    const names = withRoom(base.#names, own);
    const lowers = withRoom(base.#lower, own);
    const values = withRoom(base.#values, own);
    for (let i = 0; i < own; i++) {
      names.push(this.#names[i]!);
      lowers.push(this.#lower[i]!);
      values.push(this.#values[i]!);
    }
    const ownRaw = this.#rawAt;
    let rawAt: number[] | undefined;
    if (base.#rawAt !== undefined) {
      rawAt = withRoom(base.#rawAt, own);
      for (let i = 0; i < own; i++) rawAt.push(-1);
    } else if (ownRaw !== undefined) {
      rawAt = new Array<number>(n).fill(-1);
      for (let i = 0; i < own; i++) rawAt.push(-1);
    }
    this.#names = names;
    this.#lower = lowers;
    this.#values = values;
    this.#rawAt = rawAt;
    this.#rawText = base.#rawText;
    // the base's encoded lines lead the list still (own fields were never encoded here)
    this.#wire = base.#wire;
    this.#wireCount = base.#wireCount;
  }

  #dropWire(): void {
    this.#wire = undefined;
    this.#wireCount = 0;
  }

  /** Where raw line `index` (starting at `at`) ends in #rawText, after its CRLF. */
  #rawLineEnd(index: number, at: number): number {
    // The name is unchanged and the value holds no CR: the first CR after the colon ends the line.
    return this.#rawText.indexOf('\r', at + this.#names[index]!.length + 1) + 2;
  }

  /** Removes the fields named `lower` (or any of `set`) at or after `from`, in one compacting pass. */
  #removeFrom(lower: string, from: number, removed?: string[], set?: ReadonlySet<string>): void {
    const names = this.#names;
    const lowers = this.#lower;
    const values = this.#values;
    const rawAt = this.#rawAt;
    let w = from;
    for (let r = from; r < lowers.length; r++) {
      if (lowers[r] === lower || set?.has(lowers[r]!)) {
        removed?.push(values[r]!);
        continue;
      }
      if (w !== r) {
        names[w] = names[r]!;
        lowers[w] = lowers[r]!;
        values[w] = values[r]!;
        if (rawAt !== undefined) rawAt[w] = rawAt[r]!;
      }
      w++;
    }
    names.length = w;
    lowers.length = w;
    values.length = w;
    if (rawAt !== undefined) rawAt.length = w;
  }
}

/** Fields a copy can take without growing: a proxy adds a few (X-Forwarded-*, Via) to its upstream request. */
const COPY_ROOM = 4;

/**
 * A copy of `a` with room for COPY_ROOM more elements, so the first appends
 * to a cloned head do not reallocate all its arrays (V8 keeps the spare
 * capacity when the length is set below it by less than half).
 */
/** A one-element array with room for COPY_ROOM in all (V8 trims an emptied array, not this one). */
function firstOf<T>(first: T): T[] {
  const out = new Array<T>(COPY_ROOM);
  out[0] = first;
  out.length = 1;
  return out;
}

function withRoom<T>(a: readonly T[], more = 0): T[] {
  const n = a.length;
  const out = new Array<T>(n + COPY_ROOM + more);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  out.length = n;
  return out;
}

function frozenList(): PingoraError {
  return PingoraError.explain(
    ErrorType.InternalError,
    'header list is shared by copies (sharedClone) and must not change',
  );
}
