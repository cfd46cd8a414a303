/**
 * A raw TCP client for tests: writes exact bytes, accumulates what comes
 * back as latin1 text, and waits (bounded) for a condition on it or for the
 * server to close.
 */
import net from 'node:net';

export class RawClient implements AsyncDisposable {
  readonly socket: net.Socket;
  text = '';
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c) => {
      this.text += c.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves once `pred(text)` holds; rejects after `timeoutMs`. */
  async waitFor(pred: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (!pred(this.text)) {
      if (Date.now() > until)
        throw new Error(`timed out waiting; got: ${JSON.stringify(this.text.slice(0, 500))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.text;
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await this.waitFor(() => this.closed, timeoutMs);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.destroy();
  }
}

/** How many complete `HTTP/1.x nnn` status lines `text` holds. */
export function countResponses(text: string): number {
  return (text.match(/HTTP\/1\.[01] \d{3} /g) ?? []).length;
}
