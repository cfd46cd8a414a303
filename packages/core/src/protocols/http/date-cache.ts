/**
 * The cached `Date` header value (RFC 9110 IMF-fixdate): formatted at most
 * once per second however many responses are written, as Pingora's date.rs
 * does. Shared by every HTTP/1 server session in the process.
 */

let cachedSecond = -1;
let cachedValue = '';

/** `Sun, 06 Nov 1994 08:49:37 GMT` for the current second. */
export function httpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
