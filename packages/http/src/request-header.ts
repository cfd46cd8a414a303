/**
 * RequestHeader: an HTTP request head (method, raw request-target, version)
 * plus its case-preserving header fields (mirrors pingora-http's
 * RequestHeader). The target is kept as the raw bytes from the wire, so a
 * proxy forwards exactly what it received; `path` and `query` are parsed from
 * it on first use.
 */
import { HeaderList } from './header-list.ts';
import { checkHttpVersion, type HttpVersion, h1VersionText } from './http-version.ts';
import { validateMethod, validateTarget } from './validate.ts';

export class RequestHeader extends HeaderList {
  #method: string;
  #target: string;
  #version: HttpVersion;
  /** Parsed lazily from #target; #parsed says whether they are current. */
  #parsed = false;
  #path = '';
  #query: string | undefined;

  private constructor(method: string, target: string, version: HttpVersion) {
    super();
    this.#method = method;
    this.#target = target;
    this.#version = version;
  }

  /**
   * A request head with no fields. Throws InvalidHTTPHeader unless `method`
   * is an RFC 9110 token and `target` a non-empty request-target without SP,
   * CTL, DEL or char above 0xFF.
   */
  static build(method: string, target: string, version: HttpVersion = 'HTTP/1.1'): RequestHeader {
    validateMethod(method);
    validateTarget(target);
    return new RequestHeader(method, target, checkHttpVersion(version));
  }

  /** A request head from bytes a parser already validated: nothing is checked. */
  static unchecked(method: string, target: string, version: HttpVersion): RequestHeader {
    return new RequestHeader(method, target, version);
  }

  /** The method, case-sensitive as received (`GET`, `PURGE`, ...). */
  get method(): string {
    return this.#method;
  }

  set method(method: string) {
    validateMethod(method);
    this.#method = method;
  }

  /** The raw request-target: origin-form `/p?q`, absolute-form, authority-form or `*`. */
  get target(): string {
    return this.#target;
  }

  set target(target: string) {
    validateTarget(target);
    this.#target = target;
    this.#parsed = false;
  }

  get version(): HttpVersion {
    return this.#version;
  }

  set version(version: HttpVersion) {
    this.#version = checkHttpVersion(version);
  }

  /**
   * The path part of the target, without the query: `/a/b` for `/a/b?x`,
   * `/p` for `http://host/p?x` (`/` when the absolute-form has no path), `*`
   * for `*`, and '' for an authority-form target (`host:443`).
   */
  get path(): string {
    if (!this.#parsed) this.#parse();
    return this.#path;
  }

  /** The query after the first `?` (without it), or undefined when the target has no `?`. */
  get query(): string | undefined {
    if (!this.#parsed) this.#parse();
    return this.#query;
  }

  /** The head in HTTP/1.1 wire format: request line, field lines in order and case, blank line. */
  toWire(): Buffer {
    const version = h1VersionText(this.#version);
    const method = this.#method;
    const target = this.#target;
    const headLen = method.length + target.length + 12; // 2 SP, 8 version, CRLF
    const buf = Buffer.allocUnsafe(headLen + this.headersWireLength() + 2);
    let o = buf.write(method, 0, 'latin1');
    buf[o++] = 0x20;
    o += buf.write(target, o, 'latin1');
    buf[o++] = 0x20;
    o += buf.write(version, o, 'latin1');
    buf[o++] = 0x0d;
    buf[o++] = 0x0a;
    o = this.writeHeaders(buf, o);
    buf[o++] = 0x0d;
    buf[o++] = 0x0a;
    return buf;
  }

  /** A deep copy: changing the clone's fields leaves this head alone. */
  clone(): RequestHeader {
    const copy = new RequestHeader(this.#method, this.#target, this.#version);
    copy.copyHeadersFrom(this);
    return copy;
  }

  #parse(): void {
    const t = this.#target;
    let start = 0;
    let end = t.length;
    const q = t.indexOf('?');
    this.#query = q === -1 ? undefined : t.slice(q + 1);
    if (q !== -1) end = q;
    if (t.charCodeAt(0) !== 0x2f && t !== '*') {
      const scheme = t.indexOf('://');
      if (scheme !== -1 && scheme < end) {
        // absolute-form: the path starts at the first '/' after the authority
        const slash = t.indexOf('/', scheme + 3);
        start = slash === -1 || slash > end ? -1 : slash;
      } else {
        start = end; // authority-form has no path
      }
    }
    this.#path = start === -1 ? '/' : t.slice(start, end);
    this.#parsed = true;
  }
}
