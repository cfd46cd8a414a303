/**
 * The proxy side of the ACME tests: a plaintext HTTP listener whose app is
 * wrapped by the current manager's http-01 answerer (a stand-in user app
 * behind it records what reaches it), and a TLS listener with no
 * certificate of its own that takes the manager's hooks and echoes.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { request } from 'node:http';
import { connect, type TLSSocket } from 'node:tls';
import {
  HttpServer,
  type HttpServerApp,
  ListeningService,
  type RunningServer,
  Server,
  type ServerApp,
  type SocketAddr,
  type Stream,
  type TlsAccept,
} from '@pingora-ts/core';
import { ResponseHeader } from '@pingora-ts/http';
import { opensslTlsBackend } from '@pingora-ts/tls-openssl';
import pino from 'pino';
import type { AcmeManager } from '../../src/index.ts';

export const quietLogger = pino({ level: 'silent' });

function portOf(addr: SocketAddr | undefined): number {
  if (addr?.kind !== 'inet') throw new Error('not an inet address');
  return addr.port;
}

/** The user's app: answers 200 `user` and records every path it sees. */
export class UserApp implements HttpServerApp {
  readonly paths: string[] = [];
  async processNewHttp(session: Parameters<HttpServerApp['processNewHttp']>[0]): Promise<void> {
    this.paths.push(session.requestHeader?.path ?? '');
    await session.drainRequestBody();
    const body = Buffer.from('user');
    session.writeResponse(
      ResponseHeader.build(200).insertHeader('Content-Length', body.length),
      body,
    );
  }
}

class Echo implements ServerApp {
  processNewConnection(stream: Stream): Promise<void> {
    return new Promise((resolve) => {
      stream.socket.pipe(stream.socket);
      stream.socket.once('close', () => resolve());
    });
  }
}

export class AcmeTestServers {
  manager: AcmeManager | undefined;
  readonly user = new UserApp();
  httpPort = 0;
  tlsPort = 0;
  /** tls-alpn-01 validation handshakes answered with a challenge certificate. */
  alpnChallenges = 0;
  #run: RunningServer | undefined;

  async start(): Promise<void> {
    const http = new ListeningService(
      'http',
      new HttpServer({
        processNewHttp: (s, shutdown) => {
          const m = this.manager;
          return m === undefined
            ? this.user.processNewHttp(s)
            : m.httpApp(this.user).processNewHttp(s, shutdown);
        },
      }),
    ).addTcp('127.0.0.1:0');
    const hooks: TlsAccept = {
      certificateCallback: (hello) => this.manager?.tlsAccept().certificateCallback?.(hello),
      acmeChallengeCertificate: (name) => {
        const cert = this.manager?.tlsAccept().acmeChallengeCertificate?.(name);
        if (cert !== undefined) this.alpnChallenges++;
        return cert;
      },
    };
    const tls = new ListeningService('tls', new Echo(), {
      tlsBackend: opensslTlsBackend,
    }).addTlsWithSettings('127.0.0.1:0', {
      callbacks: hooks,
      watchFiles: false,
    });
    const server = new Server({
      logger: quietLogger,
      conf: { gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 0.2 },
    });
    server.addService(http);
    server.addService(tls);
    this.#run = server.run();
    this.httpPort = portOf((await http.listening)[0]);
    this.tlsPort = portOf((await tls.listening)[0]);
  }

  async stop(): Promise<void> {
    await this.#run?.shutdown({ graceful: false });
  }

  /** A TLS connection to the listener for `servername`, after its handshake. */
  connect(servername: string, ca?: string): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: this.tlsPort,
        servername,
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
      });
      const timer = setTimeout(() => socket.destroy(new Error('handshake timeout')), 5_000);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** The serial of the certificate a new connection for `servername` gets. */
  async servedSerial(servername: string): Promise<string> {
    const s = await this.connect(servername);
    const serial = s.getPeerX509Certificate()?.serialNumber ?? '';
    s.destroy();
    return serial;
  }

  /** GET on the plaintext listener: status and body. */
  get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.httpPort, path, timeout: 3_000, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }
}

/** Sends `text` and resolves with its echo. */
export function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no echo; got ${got}`)), 3_000);
    socket.on('data', function onData(d: Buffer) {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(got);
      }
    });
    socket.write(text);
  });
}

/** Records the messages of a diagnostics channel until `stop()`. */
export function record<T>(name: string): { events: T[]; stop(): void } {
  const events: T[] = [];
  const fn = (m: unknown) => events.push(m as T);
  subscribe(name, fn);
  return { events, stop: () => unsubscribe(name, fn) };
}
