/**
 * Shared harness of the listener tests: run a ListeningService in a quiet
 * Server (stopped after each test), an echo app that records digests, and a
 * client that sends text and collects the answer until the close.
 */
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import {
  type ListeningService,
  type RunningServer,
  Server,
  type ServerApp,
  type SocketAddr,
  type Stream,
} from '../../../src/index.ts';
import { quietLogger } from '../../server/utils/quiet.ts';

const runs: RunningServer[] = [];

/** Registers the cleanup (fast shutdown of every run) in the calling test file. */
export function stopRunsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
  });
}

/** Runs `service` alone in a Server with a short graceful-shutdown timeout. */
export function run(service: ListeningService, gracePeriodSeconds = 5): RunningServer {
  const server = new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds, gracefulShutdownTimeoutSeconds: 0.2 },
  });
  server.addService(service);
  const r = server.run();
  runs.push(r);
  return r;
}

/** Echoes and records the digests it saw. */
export class Echo implements ServerApp {
  readonly digests: Stream['digest'][] = [];
  processNewConnection(stream: Stream, shutdown: AbortSignal): Promise<void> {
    this.digests.push(stream.digest);
    return new Promise((resolve) => {
      stream.socket.pipe(stream.socket);
      stream.socket.once('close', () => resolve());
      shutdown.addEventListener('abort', () => stream.socket.end(), { once: true });
    });
  }
}

export function port(addr: SocketAddr | undefined): number {
  if (addr?.kind !== 'inet') throw new Error('not an inet address');
  return addr.port;
}

/** Connects, sends `text`, resolves with all that came back before the close. */
export function roundTrip(
  opts: { port: number; host?: string } | { path: string },
  text: string,
  ms = 5_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      'path' in opts ? connect(opts.path) : connect(opts.port, opts.host ?? '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close in time; got ${JSON.stringify(got)}`));
    }, ms);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
      if (got.length >= text.length) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(text);
  });
}
