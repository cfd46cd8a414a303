/**
 * A small node:http2 test client: one session to a port (h2c prior
 * knowledge), requests that collect status, headers, body and trailers.
 */
import {
  type ClientHttp2Session,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';

export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: IncomingHttpHeaders | undefined;
  readonly informational: number[];
}

export class H2Client implements AsyncDisposable {
  readonly session: ClientHttp2Session;

  private constructor(session: ClientHttp2Session) {
    this.session = session;
  }

  static async connect(port: number): Promise<H2Client> {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    return new H2Client(session);
  }

  request(
    headers: OutgoingHttpHeaders,
    body?: Buffer | string | (Buffer | string)[],
    trailers?: OutgoingHttpHeaders,
  ): Promise<H2Response> {
    const hasBody = body !== undefined;
    const stream = this.session.request(
      { ':path': '/', ...headers },
      { endStream: !hasBody, waitForTrailers: trailers !== undefined },
    );
    if (trailers !== undefined) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    if (hasBody) {
      for (const part of Array.isArray(body) ? body : [body]) stream.write(part);
      stream.end();
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const informational: number[] = [];
      let head: IncomingHttpHeaders | undefined;
      let tr: IncomingHttpHeaders | undefined;
      stream.on('headers', (h) => informational.push(Number(h[':status'])));
      stream.on('response', (h) => {
        head = h;
      });
      stream.on('trailers', (t) => {
        tr = t;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('close', () => {
        if (head === undefined) {
          reject(new Error(`stream closed without a response (code ${stream.rstCode})`));
          return;
        }
        resolve({
          status: Number(head[':status']),
          headers: head,
          body: Buffer.concat(chunks),
          trailers: tr,
          informational,
        });
      });
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.session.destroyed) return;
    await new Promise<void>((resolve) => {
      this.session.close(() => resolve());
      setTimeout(() => {
        this.session.destroy();
        resolve();
      }, 500).unref();
    });
  }
}
