/**
 * The JavaScript cost of one keep-alive request through H1ServerSession and
 * HttpServer (parse, app, response head and body, the request loop), with
 * the socket replaced by an in-memory stand-in so no syscall or scheduler
 * noise enters: CPU time per request over a fixed number of requests. The
 * same hello world on node:http runs over an in-memory Duplex for comparison,
 * and the harness alone (a stand-in that answers without parsing) is measured
 * so it can be subtracted.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { responseHead, Stream, serveHttp } from '@pingora-ts/core';

/** Just what H1Connection touches on a net.Socket. */
class MemorySocket extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  remoteFamily = 'IPv4';
  localAddress = '127.0.0.1';
  localPort = 8080;
  localFamily = 'IPv4';
  written = 0;
  onWrite: (() => void) | undefined;
  setNoDelay(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  write(buf: Buffer): boolean {
    this.written += buf.length;
    this.onWrite?.();
    return true;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n', 'latin1');

/** Runs `count` sequential keep-alive requests; resolves with CPU ns per request. */
export async function sessionCost(count: number): Promise<number> {
  const body = Buffer.from('Hello, world!');
  const app = serveHttp(() => ({
    header: responseHead(200, { 'Content-Type': 'text/plain' }),
    body,
  }));
  const socket = new MemorySocket();
  const shutdown = new AbortController();
  let sent = 0;
  let cpu0 = process.cpuUsage();
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const warmup = Math.min(20_000, count);
  // Each response triggers the next request, as a keep-alive client does.
  socket.onWrite = () => {
    sent++;
    if (sent === warmup) cpu0 = process.cpuUsage();
    if (sent === warmup + count) {
      done();
      return;
    }
    setImmediate(() => socket.emit('data', REQUEST));
  };
  void app.processNewConnection(new Stream(socket as unknown as Socket), shutdown.signal);
  socket.emit('data', REQUEST);
  await finished;
  const used = process.cpuUsage(cpu0);
  shutdown.abort();
  socket.emit('close');
  return ((used.user + used.system) * 1000) / count;
}

/** The same loop on node:http, its socket an in-memory Duplex fed one request per response. */
export async function nodeHttpCost(count: number): Promise<number> {
  const body = Buffer.from('Hello, world!');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  });
  let sent = 0;
  let cpu0 = process.cpuUsage();
  const warmup = Math.min(20_000, count);
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const duplex: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      cb();
      // One response is one or more writes; count it once its body has gone out.
      if (!chunk.toString('latin1').endsWith('Hello, world!')) return;
      sent++;
      if (sent === warmup) cpu0 = process.cpuUsage();
      if (sent === warmup + count) {
        done();
        return;
      }
      setImmediate(() => duplex.push(REQUEST));
    },
  });
  server.emit('connection', duplex);
  duplex.push(REQUEST);
  await finished;
  const used = process.cpuUsage(cpu0);
  duplex.destroy();
  return ((used.user + used.system) * 1000) / count;
}

/** The harness alone: the stand-in socket answered at once, without any HTTP. */
export async function harnessCost(count: number): Promise<number> {
  const socket = new MemorySocket();
  const response = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!');
  let sent = 0;
  let cpu0 = process.cpuUsage();
  const warmup = Math.min(20_000, count);
  await new Promise<void>((resolve) => {
    socket.onWrite = () => {
      sent++;
      if (sent === warmup) cpu0 = process.cpuUsage();
      if (sent === warmup + count) resolve();
      else setImmediate(() => socket.emit('data', REQUEST));
    };
    socket.on('data', () => socket.write(response));
    socket.emit('data', REQUEST);
  });
  const used = process.cpuUsage(cpu0);
  return ((used.user + used.system) * 1000) / count;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (let i = 0; i < 3; i++) {
    const harness = await harnessCost(200_000);
    const ours = await sessionCost(200_000);
    const node = await nodeHttpCost(200_000);
    console.log(
      `harness ${harness.toFixed(0)} ns, pingora-ts ${(ours - harness).toFixed(0)} ns, ` +
        `node:http ${(node - harness).toFixed(0)} ns JS per request (harness subtracted)`,
    );
  }
}
