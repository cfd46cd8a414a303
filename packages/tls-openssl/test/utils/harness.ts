/**
 * Harness of the TLS listener tests: a ListeningService with TLS endpoints
 * run in a quiet Server (stopped after each test), an app that answers each
 * connection with its TLS digest as one JSON line and then echoes, and a TLS
 * client that resolves once the handshake is done (or with its error).
 */
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import {
  type ListeningService,
  type RunningServer,
  Server,
  type ServerApp,
  type SocketAddr,
  type Stream,
  type TlsDigest,
} from '@pingora-ts/core';
import pino from 'pino';
import { afterEach } from 'vitest';

const runs: RunningServer[] = [];

export const quietLogger = pino({ level: 'silent' });

export function stopRunsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
  });
}

export function run(service: ListeningService): RunningServer {
  const server = new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 0.2 },
  });
  server.addService(service);
  const r = server.run();
  runs.push(r);
  return r;
}

/** Writes the connection's TLS digest as a JSON line, then echoes. */
export class DigestEcho implements ServerApp {
  readonly digests: (TlsDigest | undefined)[] = [];
  processNewConnection(stream: Stream, shutdown: AbortSignal): Promise<void> {
    this.digests.push(stream.digest.tls);
    const { extension: _x, ...rest } = stream.digest.tls ?? ({} as TlsDigest);
    stream.socket.write(`${JSON.stringify(rest)}\n`);
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

export interface Connected {
  readonly socket: TLSSocket;
  /** The digest line the server sent first. */
  readonly digest: Omit<TlsDigest, 'extension'>;
}

/** Connects with `options`; resolves after the handshake and the server's digest line. */
export function connectTls(
  port: number,
  options: ConnectionOptions = {},
  ms = 5_000,
): Promise<Connected> {
  return new Promise((resolve, reject) => {
    // Tests check the served certificate by serial; the name check would need SNI on every connect.
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      checkServerIdentity: () => undefined,
      ...options,
    });
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no digest line in time'));
    }, ms);
    socket.setEncoding('utf8');
    const onData = (d: string) => {
      buffered += d;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve({ socket, digest: JSON.parse(buffered.slice(0, nl)) });
    };
    socket.on('data', onData);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(Object.assign(new Error('closed before the digest line'), { code: 'CLOSED' }));
    });
  });
}

/** Sends `text` on an open connection and resolves with the echo. */
export function echo(socket: TLSSocket, text: string, ms = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no echo in time; got ${got}`)), ms);
    const onData = (d: string | Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

/** The handshake's outcome as an error code (undefined when it succeeded and the server kept the connection). */
export async function handshakeOutcome(
  port: number,
  options: ConnectionOptions = {},
): Promise<string | undefined> {
  try {
    const c = await connectTls(port, options);
    c.socket.destroy();
    return undefined;
  } catch (err) {
    return String((err as { code?: unknown }).code ?? (err as Error).message);
  }
}

/** Fast shutdown of every server started so far (what the afterEach does). */
export async function stopAll(): Promise<void> {
  await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
}
