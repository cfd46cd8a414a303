/**
 * Parses the response head a CONNECT proxy answers with, strictly: CRLF line
 * ends only, a valid status line and token-named header fields, no folding,
 * bounded size. Whatever follows the head belongs to the tunnel.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';

/** The largest CONNECT response head accepted. */
export const MAX_CONNECT_RESPONSE_HEAD = 16 * 1024;

export interface ConnectResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [string, string])[];
  /** Bytes after the head: the first bytes of the tunnel. */
  readonly rest: Buffer;
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;

/**
 * The parsed head if `buf` holds a complete one, undefined if more bytes are
 * needed. Throws ConnectProxyFailure on anything malformed or oversized.
 */
export function parseConnectResponse(buf: Buffer): ConnectResponse | undefined {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) {
    if (buf.length > MAX_CONNECT_RESPONSE_HEAD) throw malformed('response head too large');
    return undefined;
  }
  if (end + 4 > MAX_CONNECT_RESPONSE_HEAD) throw malformed('response head too large');
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const statusMatch = STATUS_LINE.exec(lines[0] ?? '');
  if (statusMatch === null) throw malformed('invalid status line');
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    // A bare CR or LF inside a line, or a folded line, does not match.
    const m = FIELD.exec(lines[i] as string);
    if (m === null) throw malformed('invalid header line');
    headers.push([m[1] as string, m[2] as string]);
  }
  return {
    status: Number(statusMatch[1]),
    reason: statusMatch[2] ?? '',
    headers,
    rest: buf.subarray(end + 4),
  };
}

function malformed(what: string): PingoraError {
  return PingoraError.create(
    ErrorType.ConnectProxyFailure,
    ErrorSource.Upstream,
    `malformed CONNECT proxy response: ${what}`,
  );
}
