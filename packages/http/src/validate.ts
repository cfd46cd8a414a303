/**
 * Byte-level validation of everything that ends up in an HTTP/1 head: method
 * and header-name tokens, field values, the request-target and the reason
 * phrase. Strings hold bytes as latin1 (char codes 0-255); one 256-entry table
 * of class bits makes every check a single charCode loop, with no regex.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** tchar (RFC 9110 5.6.2): what methods and header names are made of. */
const TOKEN = 1;
/** field-vchar, SP and HTAB (RFC 9110 5.5): field values and reason phrases. */
const FIELD = 2;
/** request-target bytes: visible ASCII and obs-text; never SP, CTL or DEL. */
const TARGET = 4;

const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] = FIELD | TARGET;
for (let c = 0x80; c <= 0xff; c++) CLASS[c] = FIELD | TARGET; // obs-text
CLASS[0x20] = FIELD;
CLASS[0x09] = FIELD;
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  CLASS[ch.charCodeAt(0)]! |= TOKEN;
}

/** Index of the first char of `s` outside class `bit`, or -1. Chars above 0xFF are never valid. */
function firstInvalid(s: string, bit: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (CLASS[c]! & bit) === 0) return i;
  }
  return -1;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * `s` without leading and trailing optional whitespace, which in HTTP is SP
 * and HTAB only (RFC 9110 5.6.3). Use it instead of `String.prototype.trim`
 * on anything from a message: `trim()` also strips U+00A0 (the obs-text
 * byte 0xA0 in a latin1 value) and other Unicode spaces, so `chunked\xa0`
 * would read as `chunked` here and as something else at the next hop.
 */
export function trimOws(s: string): string {
  const n = s.length;
  if (n === 0 || (!isOws(s.charCodeAt(0)) && !isOws(s.charCodeAt(n - 1)))) return s;
  let start = 0;
  let end = n;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** True when `s` is a non-empty RFC 9110 token (a valid method or header name). */
export function isToken(s: string): boolean {
  return s.length > 0 && firstInvalid(s, TOKEN) === -1;
}

/**
 * True when `s` is an RFC 9110 field-value as it goes on the wire: only
 * field-vchar, SP and HTAB, and no whitespace at either end. The empty value
 * is valid.
 */
export function isValidHeaderValue(s: string): boolean {
  if (s.length === 0) return true;
  return (
    !isOws(s.charCodeAt(0)) && !isOws(s.charCodeAt(s.length - 1)) && firstInvalid(s, FIELD) === -1
  );
}

/** True when `s` is a non-empty request-target with no SP, CTL, DEL or char above 0xFF. */
export function isValidTarget(s: string): boolean {
  return s.length > 0 && firstInvalid(s, TARGET) === -1;
}

/** True when `s` is a valid reason phrase: HTAB, SP, VCHAR and obs-text only (may be empty). */
export function isValidReason(s: string): boolean {
  return firstInvalid(s, FIELD) === -1;
}

/** `s` quoted and cut to a readable length for an error context. */
function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

function badChar(s: string, at: number): string {
  const c = s.charCodeAt(at);
  return `char 0x${c.toString(16).padStart(2, '0')} at index ${at}`;
}

function invalid(context: string): PingoraError {
  return PingoraError.explain(ErrorType.InvalidHTTPHeader, context);
}

/** Throws InvalidHTTPHeader unless `name` is a valid header name (a token). */
export function validateHeaderName(name: string): void {
  if (typeof name !== 'string') throw invalid(`header name is not a string: ${typeof name}`);
  if (name.length === 0) throw invalid('empty header name');
  const at = firstInvalid(name, TOKEN);
  if (at !== -1) throw invalid(`invalid header name ${show(name)}: ${badChar(name, at)}`);
}

/**
 * Checks a header value for header `name` and returns it as it will be stored:
 * numbers become their decimal text, and leading/trailing SP and HTAB are
 * trimmed (a receiver strips that whitespace anyway; trimming, as WHATWG
 * `Headers` does, keeps our head and the peer's parse identical). Throws
 * InvalidHTTPHeader, naming the header, on any CTL other than HTAB, DEL, a
 * char above 0xFF, or a non-finite number.
 */
export function validateHeaderValue(name: string, value: string | number): string {
  let v: string;
  if (typeof value === 'string') v = value;
  else if (typeof value === 'number' && Number.isFinite(value)) v = String(value);
  else throw invalid(`invalid value for header ${show(String(name))}: ${String(value)}`);
  const at = firstInvalid(v, FIELD);
  if (at !== -1) throw invalid(`invalid value for header ${show(String(name))}: ${badChar(v, at)}`);
  return trimOws(v);
}

/** Throws InvalidHTTPHeader unless `method` is a token. */
export function validateMethod(method: string): void {
  if (typeof method !== 'string' || method.length === 0) throw invalid('empty HTTP method');
  const at = firstInvalid(method, TOKEN);
  if (at !== -1) throw invalid(`invalid HTTP method ${show(method)}: ${badChar(method, at)}`);
}

/** Throws InvalidHTTPHeader unless `target` is a non-empty request-target without SP, CTL or DEL. */
export function validateTarget(target: string): void {
  if (typeof target !== 'string' || target.length === 0) throw invalid('empty request-target');
  const at = firstInvalid(target, TARGET);
  if (at !== -1) throw invalid(`invalid request-target ${show(target)}: ${badChar(target, at)}`);
}

/** Throws InvalidHTTPHeader unless `reason` is made of HTAB, SP, VCHAR and obs-text. */
export function validateReason(reason: string): void {
  if (typeof reason !== 'string') throw invalid('reason phrase is not a string');
  const at = firstInvalid(reason, FIELD);
  if (at !== -1) throw invalid(`invalid reason phrase ${show(reason)}: ${badChar(reason, at)}`);
}
