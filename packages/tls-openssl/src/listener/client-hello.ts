/**
 * Reads the ALPN list out of a TLS ClientHello before the handshake starts,
 * so a listener can decide whether to offer ALPN at all: node:tls answers a
 * list with no common protocol by a fatal alert, Pingora by carrying on
 * without ALPN. Only the fields up to the ALPN extension are parsed; any
 * malformation is left to OpenSSL to report.
 */

/** More bytes are needed to see the whole ClientHello. */
export const INCOMPLETE = 'incomplete';
/** The biggest ClientHello we wait for (one maximal record plus its header). */
export const MAX_HELLO_BYTES = 16_384 + 5;

const ALPN_EXTENSION = 16;

/**
 * The protocols the client offers: `[]` without an ALPN extension,
 * `INCOMPLETE` when the ClientHello has not fully arrived, `undefined` when
 * the bytes are not a ClientHello we can read (OpenSSL then fails them).
 */
export function offeredAlpn(buf: Buffer): string[] | typeof INCOMPLETE | undefined {
  if (buf.length < 5) return INCOMPLETE;
  if (buf[0] !== 22) return undefined; // not a handshake record
  const recordLen = buf.readUInt16BE(3);
  // A ClientHello split over several records is rare; OpenSSL copes, we do not look.
  if (buf.length < 5 + recordLen) return buf.length >= MAX_HELLO_BYTES ? undefined : INCOMPLETE;
  const hello = buf.subarray(5, 5 + recordLen);
  if (hello.length < 4 || hello[0] !== 1) return undefined;
  const helloLen = hello.readUIntBE(1, 3);
  if (helloLen > hello.length - 4) return undefined;
  let p = 4 + 2 + 32; // version, random
  const need = (n: number) => p + n <= 4 + helloLen;
  if (!need(1)) return undefined;
  p += 1 + (hello[p] as number); // session id
  if (!need(2)) return undefined;
  p += 2 + hello.readUInt16BE(p); // cipher suites
  if (!need(1)) return undefined;
  p += 1 + (hello[p] as number); // compression methods
  if (!need(2)) return []; // no extensions at all
  const end = Math.min(p + 2 + hello.readUInt16BE(p), 4 + helloLen);
  p += 2;
  while (p + 4 <= end) {
    const type = hello.readUInt16BE(p);
    const len = hello.readUInt16BE(p + 2);
    p += 4;
    if (p + len > end) return undefined;
    if (type === ALPN_EXTENSION) return protocolList(hello.subarray(p, p + len));
    p += len;
  }
  return [];
}

function protocolList(ext: Buffer): string[] | undefined {
  if (ext.length < 2) return undefined;
  const listEnd = 2 + ext.readUInt16BE(0);
  if (listEnd > ext.length) return undefined;
  const out: string[] = [];
  for (let p = 2; p < listEnd; ) {
    const len = ext[p] as number;
    if (len === 0 || p + 1 + len > listEnd) return undefined;
    out.push(ext.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
  return out;
}
