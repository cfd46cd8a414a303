/**
 * Differential test against Node's own parser (llhttp, through node:http):
 * every message of the valid corpus must parse to the same method, target,
 * version, status, reason, raw header names and values, body and trailers
 * with our parser as with llhttp.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadMode } from '../../src/protocols/http/v1/head-parser.ts';
import { VALID_REQUESTS, VALID_RESPONSES } from './utils/corpus.ts';
import { parseChunks } from './utils/incremental.ts';

interface Seen {
  method?: string;
  target?: string;
  status?: number;
  reason?: string;
  minor: number;
  fields: string[];
  body: string;
  trailers: string[];
}

let server: http.Server;
let port = 0;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        target: req.url ?? '',
        minor: req.httpVersionMinor,
        fields: req.rawHeaders,
        body: Buffer.concat(body).toString('latin1'),
        trailers: req.rawTrailers,
      });
      res.end('ok');
    });
  });
  server.on('upgrade', (req, socket) => {
    seen.push({
      method: req.method ?? '',
      target: req.url ?? '',
      minor: req.httpVersionMinor,
      fields: req.rawHeaders,
      body: '',
      trailers: [],
    });
    socket.destroy();
  });
  server.on('checkContinue', (req, res) => server.emit('request', req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));

function llhttpRequest(raw: string): Promise<Seen> {
  const before = seen.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from(raw, 'latin1')));
    socket.on('error', () => {});
    socket.resume();
    const until = Date.now() + 5_000;
    const poll = (): void => {
      if (seen.length > before) resolve(seen[before]!);
      else if (Date.now() > until)
        reject(new Error(`llhttp did not deliver ${JSON.stringify(raw.slice(0, 40))}`));
      else setTimeout(poll, 5);
    };
    poll();
    socket.on('close', () => setTimeout(poll, 20));
  });
}

async function llhttpResponse(raw: string): Promise<Seen> {
  const upstream = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(Buffer.from(raw, 'latin1')));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<Seen>((resolve, reject) => {
      const req = http.get(
        { port: (upstream.address() as net.AddressInfo).port, host: '127.0.0.1', agent: false },
        (res) => {
          const body: Buffer[] = [];
          res.on('data', (c: Buffer) => body.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              reason: res.statusMessage ?? '',
              minor: res.httpVersionMinor,
              fields: res.rawHeaders,
              body: Buffer.concat(body).toString('latin1'),
              trailers: res.rawTrailers,
            }),
          );
        },
      );
      req.on('error', reject);
    });
  } finally {
    await new Promise((r) => upstream.close(r));
  }
}

describe('differential against llhttp', () => {
  it.each(VALID_REQUESTS.map((r) => [r.slice(0, r.indexOf('\r\n')), r]))(
    'request %s',
    async (_line, raw) => {
      const ours = parseChunks([Buffer.from(raw, 'latin1')]);
      expect(ours.error).toBe('');
      const theirs = await llhttpRequest(raw);
      expect({
        method: ours.method,
        target: ours.target,
        minor: ours.minor,
        fields: ours.fields,
        body: ours.body,
        trailers: ours.trailers ?? [],
      }).toEqual(theirs);
    },
  );

  it.each(VALID_RESPONSES.map((r) => [r.slice(0, r.indexOf('\r\n')), r]))(
    'response %s',
    async (_line, raw) => {
      const ours = parseChunks([Buffer.from(raw, 'latin1')], HeadMode.Response);
      expect(ours.error).toBe('');
      const theirs = await llhttpResponse(raw);
      expect({
        status: ours.status,
        reason: ours.reason,
        minor: ours.minor,
        fields: ours.fields,
        body: ours.body,
        trailers: ours.trailers ?? [],
      }).toEqual(theirs);
    },
  );
});
