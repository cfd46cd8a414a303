import { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { NoCacheReason, pingoraPolicy, rfc9111Policy } from '../src/index.ts';
import {
  formatHttpDate,
  invalidatedTargets,
  mergeNotModified,
  notModified,
  parseHttpDate,
  requestVerdict,
  toNotModified,
} from '../src/rfc9111.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const get = (headers: [string, string][] = []) => {
  const r = RequestHeader.build('GET', '/a');
  r.appendHeader('Host', 'example.com');
  for (const [n, v] of headers) r.appendHeader(n, v);
  return r;
};
const resp = (headers: [string, string][], status = 200) => {
  const r = ResponseHeader.build(status);
  for (const [n, v] of headers) r.appendHeader(n, v);
  return r;
};
const fresh = (r: ReturnType<ReturnType<typeof pingoraPolicy>['responseCacheable']>) =>
  r.cacheable ? (r.meta.freshUntil - NOW) / 1000 : undefined;

describe('parseHttpDate', () => {
  it('reads the three forms and rejects the rest', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t);
    expect(parseHttpDate('0')).toBeUndefined();
    expect(parseHttpDate('Sun, 30 Feb 1994 08:49:37 GMT')).toBeUndefined();
    expect(parseHttpDate(formatHttpDate(NOW))).toBe(NOW);
  });
});

describe('optional whitespace is SP and HTAB only (regression: trim() stripped NBSP)', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37);
  it('HTTP-dates', () => {
    expect(parseHttpDate(' \tSun, 06 Nov 1994 08:49:37 GMT\t ')).toBe(t);
    expect(parseHttpDate('\u00a0Sun, 06 Nov 1994 08:49:37 GMT')).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT\u00a0')).toBeUndefined();
    expect(parseHttpDate('Sun Nov \u00a06 08:49:37 1994')).toBeUndefined();
  });

  it('Age and Vary in the rfc9111 policy', () => {
    const p = rfc9111Policy();
    const date: [string, string] = ['Date', formatHttpDate(NOW)];
    const cc: [string, string] = ['Cache-Control', 'max-age=100'];
    const age = (v: string) => {
      const r = p.responseCacheable(get(), resp([cc, date, ['Age', v]]), NOW);
      return r.cacheable ? r.meta.initialAgeSec : undefined;
    };
    expect(age('\t30 ')).toBe(30);
    expect(age('\u00a030')).toBe(0);
    expect(age('30\u00a0')).toBe(0);
    expect(p.responseCacheable(get(), resp([cc, ['Vary', 'Accept,\t* ']]), NOW).cacheable).toBe(
      false,
    );
    // "\u00a0*" is not the "*" member: a field name (odd, but not Vary: *)
    expect(p.responseCacheable(get(), resp([cc, ['Vary', 'Accept,\u00a0*']]), NOW).cacheable).toBe(
      true,
    );
  });

  it('entity tags and dates of conditional requests', () => {
    const stored = resp([
      ['ETag', '"abc"'],
      ['Last-Modified', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ]);
    expect(notModified(get([['If-None-Match', '"x",\t"abc" ']]), stored)).toBe(true);
    expect(notModified(get([['If-None-Match', '"x",\u00a0"abc"']]), stored)).toBe(false);
    expect(
      notModified(get([['If-Modified-Since', '\u00a0Sun, 06 Nov 1994 08:49:37 GMT']]), stored),
    ).toBe(false);
  });
});

describe('pingoraPolicy', () => {
  const p = pingoraPolicy({ staleIfErrorSec: 60 });

  it('caches only GET and HEAD', () => {
    expect(p.isRequestCacheable(get())).toBe(true);
    expect(p.isRequestCacheable(RequestHeader.build('POST', '/'))).toBe(false);
  });

  it('max-age, s-maxage precedence, no-cache as zero, no-store/private refused', () => {
    expect(fresh(p.responseCacheable(get(), resp([['Cache-Control', 'max-age=10']]), NOW))).toBe(
      10,
    );
    expect(
      fresh(p.responseCacheable(get(), resp([['Cache-Control', 'max-age=10, s-maxage=20']]), NOW)),
    ).toBe(20);
    expect(fresh(p.responseCacheable(get(), resp([['Cache-Control', 'no-cache']]), NOW))).toBe(-1);
    for (const cc of ['no-store', 'private', 'max-age=5, private']) {
      expect(p.responseCacheable(get(), resp([['Cache-Control', cc]]), NOW)).toEqual({
        cacheable: false,
        reason: NoCacheReason.OriginNotCache,
      });
    }
  });

  it('Expires: one valid date, a bad one is the epoch, duplicates ignored', () => {
    const at = NOW + 30_000;
    const r = p.responseCacheable(get(), resp([['Expires', formatHttpDate(at)]]), NOW);
    expect(r.cacheable && r.meta.freshUntil).toBe(at);
    const bad = p.responseCacheable(get(), resp([['Expires', '0']]), NOW);
    expect(bad.cacheable && bad.meta.freshUntil).toBe(0);
    const dup = p.responseCacheable(
      get(),
      resp([
        ['Expires', formatHttpDate(at)],
        ['Expires', formatHttpDate(at)],
      ]),
      NOW,
    );
    expect(dup.cacheable).toBe(false);
  });

  it('uses per-status defaults only without freshness information', () => {
    const d = pingoraPolicy({ defaultTtlSec: (s) => (s === 200 ? 7 : undefined) });
    expect(fresh(d.responseCacheable(get(), resp([]), NOW))).toBe(7);
    expect(d.responseCacheable(get(), resp([], 500), NOW).cacheable).toBe(false);
  });

  it('authorization needs public, s-maxage or must-revalidate', () => {
    const auth = get([['Authorization', 'Bearer x']]);
    expect(p.responseCacheable(auth, resp([['Cache-Control', 'max-age=5']]), NOW).cacheable).toBe(
      false,
    );
    expect(
      p.responseCacheable(auth, resp([['Cache-Control', 'max-age=5, public']]), NOW).cacheable,
    ).toBe(true);
  });

  it('stale windows from directives, defaults, zeroed by must-revalidate', () => {
    const r = p.responseCacheable(
      get(),
      resp([['Cache-Control', 'max-age=1, stale-while-revalidate=5']]),
      NOW,
    );
    expect(r.cacheable && [r.meta.staleWhileRevalidateSec, r.meta.staleIfErrorSec]).toEqual([
      5, 60,
    ]);
    const m = p.responseCacheable(
      get(),
      resp([['Cache-Control', 'max-age=1, stale-if-error=5, must-revalidate']]),
      NOW,
    );
    expect(m.cacheable && [m.meta.staleWhileRevalidateSec, m.meta.staleIfErrorSec]).toEqual([0, 0]);
  });

  it('strips private field names from the stored head', () => {
    const r = p.responseCacheable(
      get(),
      resp([
        ['Cache-Control', 'max-age=5, private="set-cookie"'],
        ['Set-Cookie', 'a=b'],
      ]),
      NOW,
    );
    expect(r.cacheable && r.meta.header.hasHeader('set-cookie')).toBe(false);
  });
});

describe('rfc9111Policy', () => {
  const p = rfc9111Policy();

  it('counts Age and the Date skew against the lifetime', () => {
    const r = p.responseCacheable(
      get(),
      resp([
        ['Cache-Control', 'max-age=100'],
        ['Age', '30'],
        ['Date', formatHttpDate(NOW)],
      ]),
      NOW,
    );
    expect(r.cacheable && [(r.meta.freshUntil - NOW) / 1000, r.meta.initialAgeSec]).toEqual([
      70, 30,
    ]);
    expect(r.cacheable && r.meta.ageSec(NOW + 5000)).toBe(35);
  });

  it('has no default lifetime, and heuristics only from Last-Modified on allowed statuses', () => {
    expect(p.responseCacheable(get(), resp([]), NOW).cacheable).toBe(false);
    const lm = formatHttpDate(NOW - 1000_000);
    const r = p.responseCacheable(
      get(),
      resp([
        ['Last-Modified', lm],
        ['Date', formatHttpDate(NOW)],
      ]),
      NOW,
    );
    expect(fresh(r)).toBe(100);
    expect(p.responseCacheable(get(), resp([['Last-Modified', lm]], 500), NOW).cacheable).toBe(
      false,
    );
  });

  it('Vary: *, request no-store, invalid max-age (stale), Expires 0 (stale)', () => {
    expect(
      p.responseCacheable(
        get(),
        resp([
          ['Vary', 'Accept, *'],
          ['Cache-Control', 'max-age=9'],
        ]),
        NOW,
      ).cacheable,
    ).toBe(false);
    expect(
      p.responseCacheable(
        get([['Cache-Control', 'no-store']]),
        resp([['Cache-Control', 'max-age=9']]),
        NOW,
      ).cacheable,
    ).toBe(false);
    expect(fresh(p.responseCacheable(get(), resp([['Cache-Control', 'max-age=x']]), NOW))).toBe(-1);
    expect(fresh(p.responseCacheable(get(), resp([['Expires', '0']]), NOW))).toBe(-1);
  });

  it('CDN-Cache-Control and Surrogate-Control override Cache-Control', () => {
    const r = p.responseCacheable(
      get(),
      resp([
        ['Cache-Control', 'max-age=5'],
        ['CDN-Cache-Control', 'max-age=50'],
      ]),
      NOW,
    );
    expect(fresh(r)).toBe(50);
    const s = p.responseCacheable(
      get(),
      resp([
        ['Cache-Control', 'max-age=5'],
        ['Surrogate-Control', 'no-store'],
      ]),
      NOW,
    );
    expect(s.cacheable).toBe(false);
    // a targeted field replaces Cache-Control entirely (RFC 9213)
    const t = p.responseCacheable(
      get(),
      resp([
        ['Cache-Control', 'no-store'],
        ['CDN-Cache-Control', 'max-age=30'],
      ]),
      NOW,
    );
    expect(fresh(t)).toBe(30);
  });

  it('s-maxage wins over max-age and honours authorization', () => {
    const auth = get([['Authorization', 'x']]);
    expect(
      fresh(p.responseCacheable(auth, resp([['Cache-Control', 'max-age=5, s-maxage=9']]), NOW)),
    ).toBe(9);
  });

  it('request directives', () => {
    const r = p.responseCacheable(get(), resp([['Cache-Control', 'max-age=10']]), NOW);
    if (!r.cacheable) throw new Error('unreachable');
    const meta = r.meta;
    expect(requestVerdict(get(), meta, NOW)).toBe('default');
    expect(requestVerdict(get([['Cache-Control', 'no-cache']]), meta, NOW)).toBe('revalidate');
    expect(requestVerdict(get([['Pragma', 'no-cache']]), meta, NOW)).toBe('revalidate');
    expect(requestVerdict(get([['Cache-Control', 'max-age=2']]), meta, NOW + 3000)).toBe(
      'revalidate',
    );
    expect(requestVerdict(get([['Cache-Control', 'min-fresh=5']]), meta, NOW + 6000)).toBe(
      'revalidate',
    );
    expect(requestVerdict(get([['Cache-Control', 'max-stale']]), meta, NOW + 60_000)).toBe(
      'serve-stale',
    );
    expect(requestVerdict(get([['Cache-Control', 'max-stale=5']]), meta, NOW + 60_000)).toBe(
      'default',
    );
  });

  it('304 merge: pingora takes five fields, rfc9111 all but the body fields', () => {
    const stored = resp([
      ['Content-Length', '5'],
      ['Cache-Control', 'max-age=1'],
      ['X-A', 'old'],
    ]);
    const nm = resp(
      [
        ['Cache-Control', 'max-age=9'],
        ['X-A', 'new'],
        ['Content-Length', '0'],
      ],
      304,
    );
    const a = mergeNotModified(stored, nm);
    expect([a.getHeader('cache-control'), a.getHeader('x-a')]).toEqual(['max-age=9', 'old']);
    const b = p.mergeNotModified(stored, nm);
    expect([b.getHeader('x-a'), b.getHeader('content-length')]).toEqual(['new', '5']);
    expect(stored.getHeader('x-a')).toBe('old');
  });

  it('unsafe methods invalidate the target and same-host locations', () => {
    const post = RequestHeader.build('POST', '/a?x').appendHeader('Host', 'h');
    expect(
      invalidatedTargets(
        post,
        resp(
          [
            ['Location', 'http://h/b'],
            ['Content-Location', 'http://other/c'],
          ],
          201,
        ),
      ),
    ).toEqual(['/a?x', '/b']);
    expect(invalidatedTargets(post, resp([], 500))).toEqual([]);
    expect(invalidatedTargets(get(), resp([]))).toEqual([]);
  });
});

describe('downstream 304', () => {
  const stored = resp([
    ['ETag', '"abc"'],
    ['Last-Modified', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['Content-Length', '3'],
  ]);
  it('If-None-Match (weak compare) and If-Modified-Since', () => {
    expect(notModified(get([['If-None-Match', 'W/"abc"']]), stored)).toBe(true);
    expect(notModified(get([['If-None-Match', '"x", "abc"']]), stored)).toBe(true);
    expect(notModified(get([['If-None-Match', '"x"']]), stored)).toBe(false);
    expect(notModified(get([['If-Modified-Since', 'Sun, 06 Nov 1994 08:49:37 GMT']]), stored)).toBe(
      true,
    );
    expect(notModified(get([['If-Modified-Since', 'Sat, 05 Nov 1994 08:49:37 GMT']]), stored)).toBe(
      false,
    );
    // If-None-Match takes precedence over If-Modified-Since
    expect(
      notModified(
        get([
          ['If-None-Match', '"x"'],
          ['If-Modified-Since', 'Sun, 06 Nov 1994 08:49:37 GMT'],
        ]),
        stored,
      ),
    ).toBe(false);
  });
  it('a 304 keeps only the allowed fields', () => {
    const h = stored.clone();
    toNotModified(h);
    expect(h.status).toBe(304);
    expect(h.hasHeader('content-length')).toBe(false);
    expect(h.getHeader('etag')).toBe('"abc"');
  });
});
