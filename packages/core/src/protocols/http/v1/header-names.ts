/**
 * Interned lower-case forms of the header names browsers, curl and servers
 * send most, so building a RequestHeader or ResponseHeader from a parsed
 * head does not allocate a lower-cased copy of `Host`, `User-Agent`, ... per
 * message. Names outside the list are lower-cased by the header list itself.
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
