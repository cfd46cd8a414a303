/**
 * HTTP/1 head parsing micro-benchmark: a Chrome navigation head (~1 KB, 17
 * fields) and wrk's two-line request, through pingora-ts's HeadParser (alone
 * and building the RequestHeader a session returns) against llhttp as
 * node:http drives it. bench/h1/run.ts reports the same in MB/s.
 */
import { createRequire } from 'node:module';
import { HeadMode, HeadParser } from '@pingora-ts/core/h1';
import { RequestHeader } from '@pingora-ts/http';
import { bench, do_not_optimize, group, summary } from 'mitata';
import { BROWSER_HEADS } from '../h1/parse-throughput.ts';

const WRK = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n', 'latin1');
const parser = new HeadParser(HeadMode.Request);

function ours(head: Buffer): number {
  parser.reset();
  return parser.feed(head, 0, head.length);
}

function oursWithHeader(head: Buffer): RequestHeader {
  parser.reset();
  parser.feed(head, 0, head.length);
  const req = RequestHeader.unchecked(parser.method, parser.target, 'HTTP/1.1');
  const { names, values } = parser;
  for (let i = 0; i < names.length; i++) req.appendUnchecked(names[i]!, values[i]!);
  return req;
}

interface LlhttpParser {
  initialize(kind: number, resource: object): void;
  execute(buf: Buffer): number | Error;
  [key: number]: unknown;
}
const require = createRequire(import.meta.url);
// biome-ignore lint/style/useNodejsImportProtocol: Node's legacy _http_common module has no node: specifier
const { HTTPParser } = require('_http_common') as {
  HTTPParser: { new (): LlhttpParser; REQUEST: number; kOnHeadersComplete: number };
};
const ll = new HTTPParser();
ll[HTTPParser.kOnHeadersComplete] = (..._args: unknown[]) => {};
function llhttp(head: Buffer): number | Error {
  ll.initialize(HTTPParser.REQUEST, {});
  return ll.execute(head);
}

const chrome = BROWSER_HEADS[0]!;
for (const [name, head] of [
  ['chrome navigation head', chrome],
  ['wrk request head', WRK],
] as const) {
  group(`h1 parse: ${name} (${head.length} bytes)`, () => {
    summary(() => {
      bench('pingora-ts HeadParser', () => do_not_optimize(ours(head)));
      bench('pingora-ts HeadParser + RequestHeader', () => do_not_optimize(oursWithHeader(head)));
      bench('llhttp (node:http binding)', () => do_not_optimize(llhttp(head)));
    });
  });
}
