/**
 * HTTP-date parsing (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850
 * and asctime forms a recipient must accept. Anything else is invalid
 * (undefined); callers decide what invalid means (Expires: in the past).
 */
import { trimOws } from '@pingora-ts/http';

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const IMF =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function build(
  y: number,
  mon: string,
  d: number,
  h: number,
  mi: number,
  s: number,
): number | undefined {
  const m = MONTHS[mon];
  if (m === undefined || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, m, d, h, mi, s === 60 ? 59 : s);
  // reject impossible days (Feb 30) that Date.UTC would roll over
  if (new Date(t).getUTCDate() !== d) return undefined;
  return t;
}

/** ms since the epoch of an HTTP-date, undefined when it is not one. */
export function parseHttpDate(value: string): number | undefined {
  const v = trimOws(value);
  let m = IMF.exec(v);
  if (m !== null) return build(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC850.exec(v);
  if (m !== null) {
    // two-digit years: RFC 9110 says a year more than 50 years ahead is in the past century
    let y = 2000 + +m[3]!;
    if (y > new Date().getUTCFullYear() + 50) y -= 100;
    return build(y, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = ASCTIME.exec(v);
  if (m !== null) return build(+m[6]!, m[1]!, +trimOws(m[2]!), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}

/** The IMF-fixdate form of `ms` (for Date, Last-Modified, Expires). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
