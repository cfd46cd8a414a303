/**
 * What the header fields of a parsed head mean for the connection: body
 * framing (Content-Length, Transfer-Encoding), persistence (Connection),
 * Expect and Upgrade. One pass over the fields; the request and response
 * rules of RFC 9112 section 6 and its smuggling guidance are applied here.
 */
import { trimOws } from '@pingora-ts/http';

/** How a message body is delimited on the wire. */
export const BodyKind = { None: 0, Length: 1, Chunked: 2, Close: 3 } as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/** The facts one scan of a head's fields gathers. */
export class HeadFacts {
  /** Content-Length value, -1 when absent. */
  contentLength = -1;
  /** Transfer-Encoding present (any value). */
  transferEncoding = false;
  /** Transfer-Encoding whose final coding is chunked. */
  chunked = false;
  connectionClose = false;
  connectionKeepAlive = false;
  connectionUpgrade = false;
  /** An Upgrade header field is present. */
  upgrade = false;
  expectContinue = false;
  /** Expect with an expectation other than 100-continue (417). */
  expectOther = false;
  hostCount = 0;
  /** The (first) Host value, '' when absent. */
  host = '';
  /** Why the fields are not acceptable, or '' when they are. */
  error = '';

  reset(): void {
    this.contentLength = -1;
    this.transferEncoding = false;
    this.chunked = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.connectionUpgrade = false;
    this.upgrade = false;
    this.expectContinue = false;
    this.expectOther = false;
    this.hostCount = 0;
    this.host = '';
    this.error = '';
  }

  /**
   * Scans parallel name and value arrays. Sets `error` for a duplicate or invalid
   * Content-Length, Content-Length with Transfer-Encoding, or a malformed
   * or repeated chunked coding; the caller decides what else is fatal.
   */
  scan(names: readonly string[], values: readonly string[]): void {
    this.reset();
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      switch (name.length) {
        case 4:
          if (sameName(name, 'host') && this.hostCount++ === 0) this.host = values[i]!;
          break;
        case 6:
          if (sameName(name, 'expect')) this.#expect(values[i]!);
          break;
        case 7:
          if (sameName(name, 'upgrade')) this.upgrade = true;
          break;
        case 10:
          if (sameName(name, 'connection')) this.#connection(values[i]!);
          break;
        case 14:
          if (sameName(name, 'content-length')) this.#length(values[i]!);
          break;
        case 17:
          if (sameName(name, 'transfer-encoding')) this.#codings(values[i]!);
          break;
      }
    }
    if (this.error === '' && this.transferEncoding && this.contentLength >= 0) {
      this.error = 'both Content-Length and Transfer-Encoding';
    }
  }

  /**
   * Checks a request head against RFC 9112 (after scan()): returns the status
   * to refuse it with (400, 413, 417), with `error` saying why, or 0.
   */
  checkRequest(method: string, target: string, minor: number, maxBodyBytes: number): number {
    if (this.error !== '') return 400;
    if (minor === 1 ? this.hostCount !== 1 : this.hostCount > 1) {
      this.error = this.hostCount === 0 ? 'missing Host' : 'duplicate Host';
      return 400;
    }
    if (!isValidHost(this.host)) {
      this.error = 'invalid Host';
      return 400;
    }
    const form = checkTargetForm(method, target);
    if (form !== '') {
      this.error = form;
      return 400;
    }
    if (this.transferEncoding) {
      if (minor === 0) {
        this.error = 'Transfer-Encoding in an HTTP/1.0 request';
        return 400;
      }
      if (!this.chunked) {
        this.error = 'final transfer coding is not chunked';
        return 400;
      }
    }
    if (this.expectOther) {
      this.error = 'unsupported expectation';
      return 417;
    }
    if (this.contentLength > maxBodyBytes) {
      this.error = 'request body too large';
      return 413;
    }
    return 0;
  }

  #length(value: string): void {
    if (this.contentLength >= 0) {
      this.error ||= 'duplicate Content-Length';
      return;
    }
    const n = value.length;
    if (n === 0 || n > 15) {
      this.error ||= 'invalid Content-Length';
      return;
    }
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) {
        this.error ||= 'invalid Content-Length';
        return;
      }
      v = v * 10 + c;
    }
    this.contentLength = v;
  }

  /**
   * Transfer-Encoding: a list of codings. Only SP and HTAB are trimmed around
   * an element (never Unicode spaces such as 0xA0: see trimOws), and names
   * compare ASCII case-insensitively.
   */
  #codings(value: string): void {
    this.transferEncoding = true;
    const parts = value.split(',');
    for (let i = 0; i < parts.length; i++) {
      const coding = trimOws(parts[i]!);
      if (coding === '' || !isToken(coding)) {
        this.error ||= 'invalid Transfer-Encoding';
        return;
      }
      if (this.chunked) {
        // A coding after chunked, or chunked twice: the body length is unknowable.
        this.error ||= 'chunked is not the final transfer coding';
        this.chunked = false;
        return;
      }
      if (coding.length === 7 && sameName(coding, 'chunked')) this.chunked = true;
    }
  }

  #connection(value: string): void {
    const parts = value.split(',');
    for (let i = 0; i < parts.length; i++) {
      const opt = trimOws(parts[i]!);
      if (opt.length === 5) {
        if (sameName(opt, 'close')) this.connectionClose = true;
      } else if (opt.length === 10) {
        if (sameName(opt, 'keep-alive')) this.connectionKeepAlive = true;
      } else if (opt.length === 7 && sameName(opt, 'upgrade')) {
        this.connectionUpgrade = true;
      }
    }
  }

  #expect(value: string): void {
    if (value.length === 12 && sameName(value, '100-continue')) this.expectContinue = true;
    else this.expectOther = true;
  }
}

/**
 * True when a Host value is `uri-host [":" port]` made only of the bytes RFC
 * 3986 allows there (unreserved, pct-encoded, sub-delims, ':' and the IPv6
 * brackets); empty is valid. Refusing the rest (spaces, '/', '@', '?', ...)
 * keeps host-confusion payloads from reaching routing and upstreams.
 */
function isValidHost(host: string): boolean {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x3a) || // digits and ':'
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e ||
      c === 0x25 ||
      c === 0x21 ||
      c === 0x24 ||
      (c >= 0x26 && c <= 0x2c) || // & ' ( ) * + ,
      c === 0x3b ||
      c === 0x3d ||
      c === 0x5b ||
      c === 0x5d;
    if (!ok) return false;
  }
  return true;
}

/** ASCII case-insensitive `name === lower` (lower is lower case, same length), without allocating. */
function sameName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e ||
      c === 0x21 ||
      (c >= 0x23 && c <= 0x27) ||
      c === 0x2a ||
      c === 0x2b ||
      c === 0x5e ||
      c === 0x60 ||
      c === 0x7c;
    if (!ok) return false;
  }
  return true;
}

/**
 * The request-target form the method allows (RFC 9112 3.2): origin-form
 * (`/path`), absolute-form (`http://host/path`), authority-form for CONNECT
 * (`host:port`) and asterisk-form for OPTIONS (`*`). Returns '' or why not.
 * Absolute-form is taken only with an `http` or `https` scheme and a
 * non-empty authority: `GET host:80` is syntactically an absolute URI with
 * scheme `host`, which a next hop may read as authority-form instead.
 */
export function checkTargetForm(method: string, target: string): string {
  const first = target.charCodeAt(0);
  if (method === 'CONNECT') {
    return first !== 0x2f && target.includes(':') && !target.includes('/')
      ? ''
      : 'CONNECT needs an authority-form target';
  }
  if (first === 0x2f) return '';
  if (target === '*') return method === 'OPTIONS' ? '' : 'asterisk-form target is only for OPTIONS';
  if (isHttpAbsoluteForm(target)) return '';
  if (target.includes(':') && !target.includes('/')) {
    return 'authority-form target is only for CONNECT';
  }
  return 'invalid request target';
}

/** `http://` or `https://` (any case) followed by a non-empty authority. */
function isHttpAbsoluteForm(target: string): boolean {
  let i = 0;
  for (const c of 'http') {
    if ((target.charCodeAt(i++) | 0x20) !== c.charCodeAt(0)) return false;
  }
  if ((target.charCodeAt(i) | 0x20) === 0x73 /* s */) i++;
  if (target.charCodeAt(i) !== 0x3a || target.charCodeAt(i + 1) !== 0x2f) return false;
  if (target.charCodeAt(i + 2) !== 0x2f) return false;
  const next = target.charCodeAt(i + 3);
  // An empty authority: end, '/', '?' or '#' right after `//`.
  return !(Number.isNaN(next) || next === 0x2f || next === 0x3f || next === 0x23);
}
