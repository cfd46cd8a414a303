/**
 * ResponseHeader: an HTTP response head (status, reason phrase, version) plus
 * its case-preserving header fields (mirrors pingora-http's ResponseHeader).
 * The reason is the status's canonical phrase unless one was set, which a
 * proxy does to forward an upstream's own reason unchanged.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { HeaderList } from './header-list.ts';
import { checkHttpVersion, type HttpVersion, h1VersionText } from './http-version.ts';
import { statusReason } from './status-reason.ts';
import { validateReason } from './validate.ts';

function checkStatus(status: number): number {
  if (Number.isInteger(status) && status >= 100 && status <= 999) return status;
  throw PingoraError.explain(
    ErrorType.InvalidHTTPHeader,
    `invalid status code ${String(status)}: must be an integer from 100 to 999`,
  );
}

export class ResponseHeader extends HeaderList {
  #status: number;
  /** A reason other than the canonical one, else undefined. */
  #reason: string | undefined;
  #version: HttpVersion;

  private constructor(status: number, reason: string | undefined, version: HttpVersion) {
    super();
    this.#status = status;
    this.#reason = reason;
    this.#version = version;
  }

  /** A response head with no fields. Throws InvalidHTTPHeader unless `status` is a three-digit code (100-999). */
  static build(status: number, version: HttpVersion = 'HTTP/1.1'): ResponseHeader {
    return new ResponseHeader(checkStatus(status), undefined, checkHttpVersion(version));
  }

  /** A response head from bytes a parser already validated: nothing is checked. */
  static unchecked(status: number, reason: string, version: HttpVersion): ResponseHeader {
    return new ResponseHeader(
      status,
      reason === statusReason(status) ? undefined : reason,
      version,
    );
  }

  get status(): number {
    return this.#status;
  }

  /** Sets the status; a reason that was never set follows it (becomes the new code's canonical phrase). */
  set status(status: number) {
    this.#status = checkStatus(status);
  }

  /** The reason phrase: the one set, else the canonical phrase of the status ('' for unregistered codes). */
  get reason(): string {
    return this.#reason ?? statusReason(this.#status) ?? '';
  }

  /**
   * Sets the reason phrase (HTAB, SP, VCHAR and obs-text only, else
   * InvalidHTTPHeader); undefined goes back to the canonical phrase.
   */
  set reason(reason: string | undefined) {
    if (reason === undefined || reason === statusReason(this.#status)) {
      this.#reason = undefined;
      return;
    }
    validateReason(reason);
    this.#reason = reason;
  }

  get version(): HttpVersion {
    return this.#version;
  }

  set version(version: HttpVersion) {
    this.#version = checkHttpVersion(version);
  }

  /** The head in HTTP/1.1 wire format: status line, field lines in order and case, blank line. */
  toWire(): Buffer {
    const version = h1VersionText(this.#version);
    const reason = this.reason;
    const headLen = 15 + reason.length; // version, SP, 3 digits, SP, CRLF
    const buf = Buffer.allocUnsafe(headLen + this.headersWireLength() + 2);
    let o = buf.write(version, 0, 'latin1');
    const s = this.#status;
    buf[o++] = 0x20;
    buf[o++] = 0x30 + Math.floor(s / 100);
    buf[o++] = 0x30 + (Math.floor(s / 10) % 10);
    buf[o++] = 0x30 + (s % 10);
    buf[o++] = 0x20;
    o += buf.write(reason, o, 'latin1');
    buf[o++] = 0x0d;
    buf[o++] = 0x0a;
    o = this.writeHeaders(buf, o);
    buf[o++] = 0x0d;
    buf[o++] = 0x0a;
    return buf;
  }

  /**
   * A copy that reads this head's fields in place instead of copying them:
   * for a head sent many times with a few changes each (a cache's stored
   * response). Changing the copy leaves this head alone (a change to one of
   * the shared fields copies them first); this head is frozen from then on:
   * changing its fields throws InternalError. A head that shares fields
   * itself is cloned instead.
   */
  sharedClone(): ResponseHeader {
    const copy = new ResponseHeader(this.#status, this.#reason, this.#version);
    if (!copy.shareFieldsOf(this)) copy.copyHeadersFrom(this);
    return copy;
  }

  /** A deep copy: changing the clone's fields leaves this head alone. */
  clone(): ResponseHeader {
    const copy = new ResponseHeader(this.#status, this.#reason, this.#version);
    copy.copyHeadersFrom(this);
    return copy;
  }
}
