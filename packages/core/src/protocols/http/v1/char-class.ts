/**
 * Byte classes for the HTTP/1 parsers: one 256-entry table of bit flags, so
 * every scanning loop is a table lookup per byte with no regex and no string.
 * Bytes are classified as RFC 9110/9112 define them.
 */

/** tchar: methods, header names, transfer codings, chunk-extension names. */
export const TOKEN = 1;
/** field-vchar, SP and HTAB: header values and reason phrases (obs-text allowed). */
export const FIELD = 2;
/** request-target bytes: visible ASCII only (no SP, CTL, DEL or obs-text). */
export const TARGET = 4;
/** hexadecimal digits: chunk sizes. */
export const HEX = 8;
/** qdtext and quoted-pair payload inside a quoted chunk-extension value. */
export const QDTEXT = 16;

export const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] = FIELD | TARGET | QDTEXT;
for (let c = 0x80; c <= 0xff; c++) CLASS[c] = FIELD | QDTEXT;
CLASS[0x20] = FIELD | QDTEXT;
CLASS[0x09] = FIELD | QDTEXT;
CLASS[0x22] = FIELD | TARGET; // '"' ends a quoted string
CLASS[0x5c] = FIELD | TARGET; // '\' starts a quoted-pair
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  CLASS[ch.charCodeAt(0)]! |= TOKEN;
}
for (const ch of '0123456789abcdefABCDEF') CLASS[ch.charCodeAt(0)]! |= HEX;

/** The value of a hex digit byte (call only on HEX bytes). */
export function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMI = 0x3b;
