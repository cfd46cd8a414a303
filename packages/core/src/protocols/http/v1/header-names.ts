/**
 * Interned lower-case forms of the header names browsers, curl and servers
 * send most, so building a RequestHeader or ResponseHeader from a parsed
 * head does not allocate a lower-cased copy of `Host`, `User-Agent`, ... per
 * message. Names outside the list are lower-cased by the header list itself.
 * Common names and values as sent (exact bytes) are shared strings too.
 */

/** Lower-case names by length; each is matched ASCII case-insensitively. */
const BY_LENGTH: string[][] = [];
for (const name of [
  'host',
  'date',
  'etag',
  'vary',
  'accept',
  'cookie',
  'origin',
  'server',
  'expect',
  'expires',
  'referer',
  'upgrade',
  'priority',
  'location',
  'connection',
  'keep-alive',
  'set-cookie',
  'user-agent',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'content-type',
  'cache-control',
  'last-modified',
  'authorization',
  'content-length',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'x-forwarded-for',
  'transfer-encoding',
  'if-modified-since',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'upgrade-insecure-requests',
]) {
  const list = BY_LENGTH[name.length] ?? [];
  list.push(name);
  BY_LENGTH[name.length] = list;
}

/** The interned lower-case form of `name` when it is a common header name, else undefined. */
export function commonLowerName(name: string): string | undefined {
  const candidates = BY_LENGTH[name.length];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const lower = candidates[k]!;
    let i = 0;
    for (; i < lower.length; i++) {
      const c = name.charCodeAt(i);
      if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) break;
    }
    if (i === lower.length) return lower;
  }
  return undefined;
}

/**
 * Names and values that arrive byte for byte the same in most heads (the
 * case servers and clients send them in), kept as one string each: a parsed
 * head takes these instead of slicing a new string per message.
 */
const TOKENS_BY_LENGTH: string[][] = [];
for (const token of [
  'Host',
  'Date',
  'ETag',
  'Vary',
  'Accept',
  'Cookie',
  'Server',
  'Expires',
  'Referer',
  'Location',
  'Connection',
  'Keep-Alive',
  'Set-Cookie',
  'User-Agent',
  'Content-Type',
  'Cache-Control',
  'Last-Modified',
  'Accept-Ranges',
  'Content-Length',
  'Accept-Encoding',
  'Accept-Language',
  'Content-Encoding',
  'X-Forwarded-For',
  'Transfer-Encoding',
  'X-Forwarded-Proto',
  'host',
  'date',
  'server',
  'accept',
  'connection',
  'user-agent',
  'content-type',
  'content-length',
  'keep-alive',
  'close',
  'chunked',
  'gzip',
  'bytes',
  '*/*',
  'nginx',
  'no-cache',
  'text/plain',
  'text/html',
  'application/json',
  'application/octet-stream',
  'text/html; charset=utf-8',
]) {
  const list = TOKENS_BY_LENGTH[token.length] ?? [];
  list.push(token);
  TOKENS_BY_LENGTH[token.length] = list;
}

/** The shared string equal to `buf[start, end)` (exactly, case included) when it is a common token, else undefined. */
export function commonToken(buf: Buffer, start: number, end: number): string | undefined {
  const candidates = TOKENS_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const token = candidates[k]!;
    let i = 0;
    while (i < token.length && buf[start + i] === token.charCodeAt(i)) i++;
    if (i === token.length) return token;
  }
  return undefined;
}
