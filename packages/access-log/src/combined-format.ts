/**
 * nginx's `combined` log format, byte for byte:
 * `$remote_addr - $remote_user [$time_local] "$request" $status
 * $body_bytes_sent "$http_referer" "$http_user_agent"`. Values are escaped
 * as nginx does (`"`, `\`, control and non-ASCII bytes as \xHH); the user is
 * always `-` (credentials are never logged). The time is cached per second.
 */
import type { Session } from '@pingora-ts/proxy';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$time_local` for one second, reused until the second changes. */
export class LocalTimeCache {
  #second = -1;
  #text = '';

  /** `03/Dec/2026:09:21:09 +0000` for `nowMs` in the process's time zone. */
  format(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#text = formatLocalTime(new Date(second * 1000));
    }
    return this.#text;
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatLocalTime(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const zone = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  return `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}`;
}

/** Escapes a value for a quoted field as nginx does; `-` for a missing one. */
export function escapeNginx(value: string | undefined): string {
  if (value === undefined || value === '') return '-';
  let i = 0;
  const n = value.length;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
  }
  if (i === n) return value;
  let out = value.slice(0, i);
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      // Header values are latin1 strings: one byte per character.
      out += `\\x${(c & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += value[i];
  }
  return out;
}

/** The combined line of a finished request, newline included. */
export function combinedLine(s: Session, timeLocal: string): string {
  const req = s.reqHeader;
  const peer = s.digest.peerAddr;
  const addr = peer !== undefined && peer.kind === 'inet' ? peer.address : '-';
  const status = s.downstream.responseWritten?.status ?? 0;
  return `${addr} - - [${timeLocal}] "${escapeNginx(req.method)} ${escapeNginx(req.target)} ${req.version}" ${status} ${s.responseBodyBytes} "${escapeNginx(req.getHeader('referer'))}" "${escapeNginx(req.getHeader('user-agent'))}"\n`;
}
