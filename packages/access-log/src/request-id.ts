/**
 * Request ids: an incoming `X-Request-Id` is kept when it is a short token
 * (1 to 128 visible ASCII characters from a safe set), otherwise replaced by
 * a random UUID. The id is set on the request header, so the proxy passes it
 * upstream and the logging phase reads it back without extra state.
 */
import { randomUUID } from 'node:crypto';
import type { Session } from '@pingora-ts/proxy';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Longer incoming ids are replaced (a log line must stay bounded). */
export const REQUEST_ID_MAX_LENGTH = 128;

/** Whether `value` may be used as a request id: [A-Za-z0-9._:/+=@-], 1 to 128 characters. */
export function isValidRequestId(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > REQUEST_ID_MAX_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x3a) || // 0-9 :
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x2b && c <= 0x2f) || // + , - . /  (comma refused below)
      c === 0x3d || // =
      c === 0x40 || // @
      c === 0x5f; // _
    if (!ok || c === 0x2c) return false;
  }
  return true;
}

/**
 * The request id of `session`: the incoming one when valid and `trustIncoming`,
 * else a new UUID; either way it is (re)set on the request header so that it
 * goes upstream. Call it from earlyRequestFilter or requestFilter.
 */
export function tagRequestId(session: Session, trustIncoming = true): string {
  const req = session.reqHeader;
  const incoming = req.getHeader(REQUEST_ID_HEADER);
  if (trustIncoming && incoming !== undefined && isValidRequestId(incoming)) {
    // Exactly one copy goes upstream, even if the client sent several.
    if (req.getAll(REQUEST_ID_HEADER).length !== 1) req.insertHeader(REQUEST_ID_HEADER, incoming);
    return incoming;
  }
  const id = randomUUID();
  req.insertHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The request id on `session`'s request header if it is valid, else undefined. */
export function requestIdOf(session: Session): string | undefined {
  const id = session.reqHeader.getHeader(REQUEST_ID_HEADER);
  return id !== undefined && isValidRequestId(id) ? id : undefined;
}
