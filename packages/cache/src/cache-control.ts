/**
 * CacheControl: the directives of Cache-Control (or CDN-Cache-Control,
 * Surrogate-Control) field lines (RFC 9111 §5.2, Pingora's cache_control.rs).
 * Lines are joined; `,` and `;` separate directives; names are lower-cased;
 * values are tokens or quoted strings. A malformed element is skipped, the
 * rest still count; a repeated directive keeps its first value (§4.2.1).
 */
import { type HeaderList, trimOws } from '@pingora-ts/http';

/** RFC 9111 §1.2.2: delta-seconds too large to represent become 2^31. */
export const DELTA_SECONDS_OVERFLOW = 2_147_483_648;

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

export class CacheControl {
  /** Directive name (lower case) -> value (null when it had none), first occurrence. */
  readonly directives = new Map<string, string | null>();
  /** Names that appeared more than once. */
  readonly duplicates = new Set<string>();
  /** Elements that could not be parsed (kept for diagnostics). */
  malformed = 0;

  /** Parses the given field values (one per field line). */
  static parse(values: readonly string[]): CacheControl {
    const cc = new CacheControl();
    for (const v of values) cc.#parseLine(v);
    return cc;
  }

  /** The directives of header `name` of `headers`, undefined when it is absent. */
  static fromHeaders(headers: HeaderList, name = 'cache-control'): CacheControl | undefined {
    const values = headers.getAll(name);
    return values.length === 0 ? undefined : CacheControl.parse(values);
  }

  #parseLine(line: string): void {
    const n = line.length;
    let i = 0;
    while (i < n) {
      // skip separators and whitespace
      let c = line.charCodeAt(i);
      if (c === 0x2c || c === 0x3b || c === 0x20 || c === 0x09) {
        i++;
        continue;
      }
      const nameStart = i;
      while (i < n && isTchar(line.charCodeAt(i))) i++;
      const name = line.slice(nameStart, i).toLowerCase();
      let value: string | null = null;
      let ok = name.length > 0;
      let j = i;
      while (j < n && (line.charCodeAt(j) === 0x20 || line.charCodeAt(j) === 0x09)) j++;
      if (ok && j < n && line.charCodeAt(j) === 0x3d) {
        i = j + 1;
        while (i < n && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
        if (i < n && line.charCodeAt(i) === 0x22) {
          const r = readQuoted(line, i);
          if (r === undefined) {
            ok = false;
            i = n;
          } else {
            value = r.value;
            i = r.end;
          }
        } else {
          const vStart = i;
          while (i < n && isTchar(line.charCodeAt(i))) i++;
          value = line.slice(vStart, i);
          if (value.length === 0) ok = false;
        }
      }
      // after the element only whitespace may come before the next separator
      while (i < n) {
        c = line.charCodeAt(i);
        if (c === 0x2c || c === 0x3b) break;
        if (c !== 0x20 && c !== 0x09) ok = false;
        i++;
      }
      if (!ok) {
        this.malformed++;
        continue;
      }
      if (this.directives.has(name)) this.duplicates.add(name);
      else this.directives.set(name, value);
    }
  }

  has(name: string): boolean {
    return this.directives.has(name);
  }

  /** The directive's value; undefined when absent, null when present without one. */
  value(name: string): string | null | undefined {
    return this.directives.get(name);
  }

  /**
   * A delta-seconds directive: its value in seconds (overflow capped to
   * DELTA_SECONDS_OVERFLOW); undefined when absent or without a value; NaN
   * when the value is not a non-negative integer.
   */
  deltaSeconds(name: string): number | undefined {
    const v = this.directives.get(name);
    if (v === undefined || v === null) return undefined;
    if (v.length === 0 || !/^[0-9]+$/.test(v)) return Number.NaN;
    if (v.length > 10) return DELTA_SECONDS_OVERFLOW;
    const n = Number(v);
    return Math.min(n, DELTA_SECONDS_OVERFLOW);
  }

  get public(): boolean {
    return this.has('public');
  }
  /** `private` without field names: the whole response is private. */
  get private(): boolean {
    return this.directives.get('private') === null;
  }
  /** `no-cache` without field names: store, but revalidate before every use. */
  get noCache(): boolean {
    return this.directives.get('no-cache') === null;
  }
  get noStore(): boolean {
    return this.has('no-store');
  }
  get mustRevalidate(): boolean {
    return this.has('must-revalidate');
  }
  get proxyRevalidate(): boolean {
    return this.has('proxy-revalidate');
  }
  get onlyIfCached(): boolean {
    return this.has('only-if-cached');
  }
  get maxAge(): number | undefined {
    return this.deltaSeconds('max-age');
  }
  get sMaxAge(): number | undefined {
    return this.deltaSeconds('s-maxage');
  }
  get staleWhileRevalidate(): number | undefined {
    return this.deltaSeconds('stale-while-revalidate');
  }
  get staleIfError(): number | undefined {
    return this.deltaSeconds('stale-if-error');
  }

  /** Field names listed by `private="a, b"`, undefined for bare `private`. */
  privateFieldNames(): string[] | undefined {
    return fieldNames(this.directives.get('private'));
  }

  /** Field names listed by `no-cache="a, b"`, undefined for bare `no-cache`. */
  noCacheFieldNames(): string[] | undefined {
    return fieldNames(this.directives.get('no-cache'));
  }

  /** Removes the fields named by the private/no-cache field forms from `headers`. */
  stripFieldNames(headers: HeaderList): void {
    for (const list of [this.privateFieldNames(), this.noCacheFieldNames()]) {
      if (list === undefined) continue;
      for (const name of list) {
        if (name.length > 0 && isToken(name)) headers.removeHeader(name);
      }
    }
  }
}

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return s.length > 0;
}

function fieldNames(v: string | null | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const out: string[] = [];
  for (const part of v.split(',')) {
    const t = trimOws(part).toLowerCase();
    if (t.length > 0) out.push(t);
  }
  return out;
}

/** Reads a quoted-string starting at `start` (a DQUOTE); undefined when unterminated. */
function readQuoted(line: string, start: number): { value: string; end: number } | undefined {
  let out = '';
  let i = start + 1;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x22) return { value: out, end: i + 1 };
    if (c === 0x5c) {
      if (i + 1 >= line.length) return undefined;
      out += line[i + 1];
      i += 2;
      continue;
    }
    out += line[i];
    i++;
  }
  return undefined;
}
