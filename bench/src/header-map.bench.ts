/**
 * Header map micro-benchmark: building, looking up, replacing and serialising
 * a typical browser request head (15 fields) with @pingora-ts/http's
 * RequestHeader, against the same operations on WHATWG `Headers` (Node's
 * undici) and on a Map-keyed store that also keeps case and order.
 */
import { RequestHeader } from '@pingora-ts/http';
import { bench, do_not_optimize, group, summary } from 'mitata';

const BROWSER_HEAD: ReadonlyArray<readonly [string, string]> = [
  ['Host', 'www.example.com'],
  ['Connection', 'keep-alive'],
  ['sec-ch-ua', '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'],
  ['sec-ch-ua-mobile', '?0'],
  ['sec-ch-ua-platform', '"macOS"'],
  ['Upgrade-Insecure-Requests', '1'],
  [
    'User-Agent',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  ],
  [
    'Accept',
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  ],
  ['Sec-Fetch-Site', 'none'],
  ['Sec-Fetch-Mode', 'navigate'],
  ['Sec-Fetch-User', '?1'],
  ['Sec-Fetch-Dest', 'document'],
  ['Accept-Encoding', 'gzip, deflate, br, zstd'],
  ['Accept-Language', 'en-US,en;q=0.9'],
  ['Cookie', 'session=3f9a7c1e2b; theme=dark; _ga=GA1.1.1234567890.1700000000'],
];

/**
 * The obvious alternative design: a Map from lower-case name to the entry,
 * plus an order array so the wire keeps case and order. Same validation is
 * skipped here (it only makes the peer look faster).
 */
class MapHeaderStore {
  readonly byName = new Map<string, Array<{ name: string; value: string }>>();
  readonly order: Array<{ name: string; value: string }> = [];

  append(name: string, value: string): void {
    const entry = { name, value };
    const key = name.toLowerCase();
    const list = this.byName.get(key);
    if (list === undefined) this.byName.set(key, [entry]);
    else list.push(entry);
    this.order.push(entry);
  }

  get(name: string): string | undefined {
    return this.byName.get(name.toLowerCase())?.[0]?.value;
  }

  insert(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.byName.get(key);
    if (list === undefined) {
      this.append(name, value);
      return;
    }
    const [first, ...rest] = list;
    if (first === undefined) return;
    first.name = name;
    first.value = value;
    list.length = 1;
    for (const gone of rest) this.order.splice(this.order.indexOf(gone), 1);
  }

  toWire(requestLine: string): Buffer {
    let s = requestLine;
    for (const e of this.order) s += `${e.name}: ${e.value}\r\n`;
    return Buffer.from(`${s}\r\n`, 'latin1');
  }
}

function buildOurs(): RequestHeader {
  const h = RequestHeader.build('GET', '/index.html?utm=1');
  for (const [n, v] of BROWSER_HEAD) h.appendHeader(n, v);
  return h;
}

function buildHeaders(): Headers {
  const h = new Headers();
  for (const [n, v] of BROWSER_HEAD) h.append(n, v);
  return h;
}

function buildMap(): MapHeaderStore {
  const h = new MapHeaderStore();
  for (const [n, v] of BROWSER_HEAD) h.append(n, v);
  return h;
}

const LOOKUPS = ['host', 'User-Agent', 'accept-encoding', 'cookie', 'x-forwarded-for'];
const ours = buildOurs();
const headers = buildHeaders();
const map = buildMap();

group('header map: build a 15-field browser head', () => {
  summary(() => {
    bench('pingora-ts RequestHeader (validated append)', () => do_not_optimize(buildOurs()));
    bench('pingora-ts RequestHeader (appendUnchecked, parser path)', () => {
      const h = RequestHeader.unchecked('GET', '/index.html?utm=1', 'HTTP/1.1');
      for (const [n, v] of BROWSER_HEAD) h.appendUnchecked(n, v);
      do_not_optimize(h);
    });
    bench('WHATWG Headers (undici)', () => do_not_optimize(buildHeaders()));
    bench('Map store', () => do_not_optimize(buildMap()));
  });
});

group('header map: 5 lookups (4 hits, 1 miss)', () => {
  summary(() => {
    bench('pingora-ts getHeader', () => {
      for (const n of LOOKUPS) do_not_optimize(ours.getHeader(n));
    });
    bench('WHATWG Headers get', () => {
      for (const n of LOOKUPS) do_not_optimize(headers.get(n));
    });
    bench('Map store get', () => {
      for (const n of LOOKUPS) do_not_optimize(map.get(n));
    });
  });
});

group('header map: build then insert 2 (1 replace, 1 new)', () => {
  summary(() => {
    bench('pingora-ts insertHeader', () => {
      const h = buildOurs();
      h.insertHeader('Host', 'upstream.internal');
      h.insertHeader('X-Forwarded-For', '192.0.2.1');
      do_not_optimize(h);
    });
    bench('WHATWG Headers set', () => {
      const h = buildHeaders();
      h.set('Host', 'upstream.internal');
      h.set('X-Forwarded-For', '192.0.2.1');
      do_not_optimize(h);
    });
    bench('Map store insert', () => {
      const h = buildMap();
      h.insert('Host', 'upstream.internal');
      h.insert('X-Forwarded-For', '192.0.2.1');
      do_not_optimize(h);
    });
  });
});

group('header map: serialise the head to HTTP/1 bytes', () => {
  summary(() => {
    bench('pingora-ts toWire', () => do_not_optimize(ours.toWire()));
    bench('WHATWG Headers (lower-cased) to bytes', () => {
      let s = 'GET /index.html?utm=1 HTTP/1.1\r\n';
      for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
      do_not_optimize(Buffer.from(`${s}\r\n`, 'latin1'));
    });
    bench('Map store to bytes', () =>
      do_not_optimize(map.toWire('GET /index.html?utm=1 HTTP/1.1\r\n')),
    );
  });
});

/** A head of `n` distinct fields, built both ways, for the size sweep below. */
function sized(n: number): { ours: RequestHeader; map: MapHeaderStore; probes: string[] } {
  const ours = RequestHeader.build('GET', '/');
  const map = new MapHeaderStore();
  for (let k = 0; k < n; k++) {
    const [name, value] = BROWSER_HEAD[k % BROWSER_HEAD.length]!;
    const unique = k < BROWSER_HEAD.length ? name : `X-Extra-${k}-${name}`;
    ours.appendHeader(unique, value);
    map.append(unique, value);
  }
  // a hit near the start, one in the middle, the last field, and a miss
  const probes = [
    'host',
    ours.nameAt(n >> 1)!.toUpperCase(),
    ours.nameAt(n - 1)!.toLowerCase(),
    'x-forwarded-for',
  ];
  return { ours, map, probes };
}

/** What mitata hands a generator benchmark: its current arguments. */
type SweepState = { get(name: string): number };

group('header map: 4 lookups as heads grow', () => {
  bench('pingora-ts getHeader, $n fields', function* (state: SweepState) {
    const { ours, probes } = sized(state.get('n'));
    yield () => {
      for (const p of probes) do_not_optimize(ours.getHeader(p));
    };
  }).args('n', [5, 15, 30, 60]);
  bench('Map store get, $n fields', function* (state: SweepState) {
    const { map, probes } = sized(state.get('n'));
    yield () => {
      for (const p of probes) do_not_optimize(map.get(p));
    };
  }).args('n', [5, 15, 30, 60]);
});
