/**
 * HeaderList: the ordered, case-preserving header fields shared by
 * RequestHeader and ResponseHeader (Pingora keeps a case map beside http's
 * HeaderMap for the same purpose). Three parallel arrays hold the names as
 * given, their lower-case forms and the values; lookups are linear scans.
 * For the 10-30 fields of a typical head that builds several times faster
 * than a Map-keyed store, with lookups on par up to ~30 fields (see
 * bench/src/header-map.bench.ts).
 */
import { writeLatin1 } from './latin1.ts';
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

/** Lists up to this long are copied element by element (see copyForAppend). */
const SMALL_COPY = 16;

/**
 * A copy of `a` that takes a few appends without growing: a clone is
 * usually changed next (a proxy adds Via, a cache hit Age). slice() makes
 * an exact-size copy that the first push copies again into a larger one;
 * pushing into an empty array sizes it for 17 at once.
 */
function copyForAppend(a: string[]): string[] {
  const n = a.length;
  if (n > SMALL_COPY) return a.slice();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(a[i]!);
  return out;
}

export class HeaderList {
  #names: string[] = [];
  #lower: string[] = [];
  #values: string[] = [];
  /** Field lines [0, #wireCount) in wire form (see encodeFields); shared with clones, never written to. */
  #wire: Buffer | undefined;
  #wireCount = 0;

  /** How many field lines the head holds (a repeated header counts once per line). */
  get headerCount(): number {
    return this.#names.length;
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
    const lowers = this.#lower;
    const first = lowers.indexOf(lower);
    if (first === -1) {
      this.#names.push(name);
      lowers.push(lower);
      this.#values.push(v);
      return this;
    }
    if (first < this.#wireCount) this.#dropWire();
    this.#names[first] = name;
    this.#values[first] = v;
    this.#removeFrom(lower, first + 1);
    return this;
  }

  /** Adds a field line after all others, keeping any existing values of the same name. Validates like insertHeader. */
  appendHeader(name: string, value: string | number): this {
    validateHeaderName(name);
    const v = validateHeaderValue(name, value);
    this.#names.push(name);
    this.#lower.push(lowerHeaderName(name));
    this.#values.push(v);
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
    this.#names.push(name);
    this.#lower.push(lower ?? lowerHeaderName(name));
    this.#values.push(value);
  }

  /** Removes every field of `name` (case-insensitive); returns their values in order, or undefined if there were none. */
  removeHeader(name: string): string[] | undefined {
    const lower = lookupName(name);
    const first = this.#lower.indexOf(lower);
    if (first === -1) return undefined;
    if (first < this.#wireCount) this.#dropWire();
    const removed: string[] = [];
    this.#removeFrom(lower, first, removed);
    return removed;
  }

  /** The first value of `name` (case-insensitive), or undefined. */
  getHeader(name: string): string | undefined {
    const i = this.#lower.indexOf(lookupName(name));
    return i === -1 ? undefined : this.#values[i];
  }

  /** Every value of `name` (case-insensitive) in order; empty when absent. */
  getAll(name: string): string[] {
    const lower = lookupName(name);
    const lowers = this.#lower;
    const out: string[] = [];
    for (let i = lowers.indexOf(lower); i !== -1 && i < lowers.length; i++) {
      if (lowers[i] === lower) out.push(this.#values[i]!);
    }
    return out;
  }

  /** True when at least one field of `name` (case-insensitive) is present. */
  hasHeader(name: string): boolean {
    return this.#lower.indexOf(lookupName(name)) !== -1;
  }

  /** True when a field's lower-case name is in `lowerNames` (one pass, for sets of names). */
  hasAnyOf(lowerNames: ReadonlySet<string>): boolean {
    const lowers = this.#lower;
    for (let i = 0; i < lowers.length; i++) if (lowerNames.has(lowers[i]!)) return true;
    return false;
  }

  /** Removes every field whose lower-case name is in `lowerNames`, in one compacting pass. */
  removeAllOf(lowerNames: ReadonlySet<string>): void {
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
    const names = this.#names;
    const values = this.#values;
    for (let i = 0; i < names.length; i++) cb(names[i]!, values[i]!);
  }

  /** The name (original case) of each field line in order; a repeated header appears once per line. */
  headerNames(): string[] {
    return this.#names.slice();
  }

  /** The name of field line `index` (0 <= index < headerCount), for index loops without allocation. */
  nameAt(index: number): string | undefined {
    return this.#names[index];
  }

  /** The value of field line `index`. */
  valueAt(index: number): string | undefined {
    return this.#values[index];
  }

  /** `[name, value]` pairs in order, names in their original case. */
  *entries(): IterableIterator<[string, string]> {
    const names = this.#names;
    const values = this.#values;
    for (let i = 0; i < names.length; i++) yield [names[i]!, values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Removes every field. */
  clearHeaders(): void {
    this.#dropWire();
    this.#names.length = 0;
    this.#lower.length = 0;
    this.#values.length = 0;
  }

  /** Bytes the field lines take on the HTTP/1 wire (`Name: value\r\n` each), without the final CRLF. */
  headersWireLength(): number {
    const names = this.#names;
    const values = this.#values;
    const from = this.#wireCount;
    let n = (names.length - from) * 4 + (from > 0 ? (this.#wire as Buffer).length : 0);
    for (let i = from; i < names.length; i++) n += names[i]!.length + values[i]!.length;
    return n;
  }

  /**
   * Encodes the field lines once and keeps the bytes, shared with clones:
   * writeHeaders then copies them instead of encoding field by field, for
   * as long as those fields stay unchanged (fields appended later are
   * encoded as usual; changing or removing an encoded one drops the bytes).
   * For heads written many times, such as a cache's stored responses.
   */
  encodeFields(): void {
    const names = this.#names;
    this.#wire = undefined;
    this.#wireCount = 0;
    const wire = Buffer.allocUnsafeSlow(this.headersWireLength());
    this.writeHeaders(wire, 0);
    this.#wire = wire;
    this.#wireCount = names.length;
  }

  /** How many leading field lines writeHeaders copies as encoded bytes (0: none are). */
  get encodedFieldCount(): number {
    return this.#wireCount;
  }

  /**
   * Writes the field lines (`Name: value\r\n` each, original case and order)
   * into `buf` at `offset` and returns the offset after them. `buf` must hold
   * headersWireLength() bytes from `offset`.
   */
  writeHeaders(buf: Buffer, offset: number): number {
    const names = this.#names;
    const values = this.#values;
    let o = offset;
    const from = this.#wireCount;
    if (from > 0) o += (this.#wire as Buffer).copy(buf, o);
    for (let i = from; i < names.length; i++) {
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
    this.#names = copyForAppend(other.#names);
    this.#lower = copyForAppend(other.#lower);
    this.#values = copyForAppend(other.#values);
    this.#wire = other.#wire;
    this.#wireCount = other.#wireCount;
  }

  #dropWire(): void {
    this.#wire = undefined;
    this.#wireCount = 0;
  }

  /** Removes the fields named `lower` (or any of `set`) at or after `from`, in one compacting pass. */
  #removeFrom(lower: string, from: number, removed?: string[], set?: ReadonlySet<string>): void {
    const names = this.#names;
    const lowers = this.#lower;
    const values = this.#values;
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
      }
      w++;
    }
    names.length = w;
    lowers.length = w;
    values.length = w;
  }
}
