/**
 * Parse throughput of typical browser request heads (a Chrome navigation and
 * a Firefox XHR, ~1 KB and ~0.6 KB): pingora-ts's head parser alone, the
 * parser plus building the RequestHeader a session hands out, and llhttp as
 * node:http drives it (its C parser plus the JS header callback), each for a
 * fixed time on one core, rated by the CPU time they used.
 */
import { createRequire } from 'node:module';
import { HeadMode, HeadParser } from '@pingora-ts/core/h1';
import { RequestHeader } from '@pingora-ts/http';

const CHROME =
  'GET /docs/guide/index.html?lang=en&theme=dark HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\n' +
  'sec-ch-ua: "Chromium";v="128", "Not;A=Brand";v="24", "Google Chrome";v="128"\r\nsec-ch-ua-mobile: ?0\r\n' +
  'sec-ch-ua-platform: "Linux"\r\nUpgrade-Insecure-Requests: 1\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36\r\n' +
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n' +
  'Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n' +
  'Referer: https://www.example.com/docs/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9,fr;q=0.8\r\n' +
  'Cookie: session=7f3a9c2e1b4d8f6a0c5e9b2d4f6a8c0e; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n\r\n';
const FIREFOX =
  'POST /api/v2/events HTTP/1.1\r\nHost: api.example.com\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\r\nAccept: application/json\r\n' +
  'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nContent-Type: application/json\r\n' +
  'Content-Length: 27\r\nOrigin: https://www.example.com\r\nConnection: keep-alive\r\nReferer: https://www.example.com/app\r\n' +
  'Sec-Fetch-Dest: empty\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Site: same-site\r\nPriority: u=0\r\n\r\n';

export const BROWSER_HEADS: readonly Buffer[] = [
  Buffer.from(CHROME, 'latin1'),
  Buffer.from(FIREFOX, 'latin1'),
];

export interface ParseRate {
  readonly name: string;
  readonly mbPerSec: number;
  readonly headsPerSec: number;
}

/** Runs `parseOne` over the heads for `ms` and returns the rate. */
function rate(name: string, ms: number, parseOne: (head: Buffer) => void): ParseRate {
  const heads = BROWSER_HEADS;
  for (let i = 0; i < 20_000; i++) parseOne(heads[i & 1]!); // warm up
  let bytes = 0;
  let count = 0;
  // CPU time, not wall time: the rate of this process's own core time, so a
  // busy machine slows the run down without skewing the figure much.
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) {
      const h = heads[i & 1]!;
      parseOne(h);
      bytes += h.length;
    }
    count += 1000;
  }
  const used = process.cpuUsage(cpu0);
  const seconds = (used.user + used.system) / 1e6;
  return { name, mbPerSec: bytes / 1e6 / seconds, headsPerSec: count / seconds };
}

export function measureParseThroughput(ms = 1500): ParseRate[] {
  const parser = new HeadParser(HeadMode.Request);
  const ours = rate('pingora-ts head parser', ms, (head) => {
    parser.reset();
    if (parser.feed(head, 0, head.length) !== head.length) throw new Error('parse failed');
  });
  const oursWithHeader = rate('pingora-ts parser + RequestHeader', ms, (head) => {
    parser.reset();
    parser.feed(head, 0, head.length);
    const req = RequestHeader.unchecked(parser.method, parser.target, 'HTTP/1.1');
    const { names, values } = parser;
    for (let i = 0; i < names.length; i++) req.appendUnchecked(names[i]!, values[i]!);
  });
  const require = createRequire(import.meta.url);
  // biome-ignore lint/style/useNodejsImportProtocol: Node's legacy _http_common module has no node: specifier
  const { HTTPParser } = require('_http_common') as {
    HTTPParser: {
      new (): {
        initialize(kind: number, resource: object): void;
        execute(buf: Buffer): number | Error;
        [key: number]: unknown;
      };
      REQUEST: number;
      kOnHeadersComplete: number;
    };
  };
  const ll = new HTTPParser();
  let headers = 0;
  ll[HTTPParser.kOnHeadersComplete] = (_a: unknown, _b: unknown, raw: string[]) => {
    headers += raw.length;
  };
  const llhttp = rate('llhttp (node:http parser binding)', ms, (head) => {
    ll.initialize(HTTPParser.REQUEST, {});
    const r = ll.execute(head);
    if (typeof r !== 'number') throw r;
  });
  if (headers === 0) throw new Error('llhttp reported no headers');
  return [ours, oursWithHeader, llhttp];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of measureParseThroughput()) {
    console.log(
      `${row.name.padEnd(34)} ${row.mbPerSec.toFixed(0).padStart(6)} MB/s  ${(row.headsPerSec / 1e6).toFixed(2)}M heads/s`,
    );
  }
}
