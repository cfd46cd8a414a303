import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { hasOpenssl, makeCerts } from '../../../../tooling/test-tls-cert.ts';
import {
  directReadsAvailable,
  endDirectReads,
  startDirectReads,
} from '../../src/l4/direct-read.ts';

const certs = hasOpenssl() ? makeCerts() : undefined;
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A loopback server whose accepted sockets go to `onSocket`; resolves a connected client. */
async function pair(
  onSocket: (s: Socket) => void,
  options: { pauseOnConnect?: boolean } = {},
): Promise<Socket> {
  const server = createServer({ pauseOnConnect: options.pauseOnConnect ?? false }, onSocket);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
  return client;
}

describe('direct reads', () => {
  it('is available on the reference Node', () => {
    expect(directReadsAvailable).toBe(true);
  });

  it('delivers every byte in order through one reused buffer', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const hash = createHash('sha256');
    const buffers = new Set<ArrayBufferLike>();
    let received = 0;
    let started = false;
    const done = new Promise<void>((resolve) => {
      void pair((s) => {
        started = startDirectReads(s, (n, buf) => {
          buffers.add(buf.buffer);
          hash.update(buf.subarray(0, n));
          received += n;
          if (received === payload.length) resolve();
        });
      }).then((client) => client.end(payload));
    });
    await done;
    expect(started).toBe(true);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    // One shared buffer, not an allocation per read.
    expect(buffers.size).toBe(1);
  });

  it('reads Unix domain sockets directly too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-direct-'));
    const path = join(dir, 's.sock');
    let started = false;
    const got = new Promise<string>((resolve) => {
      const server = createServer((s) => {
        started = startDirectReads(s, (n, buf) => resolve(buf.toString('latin1', 0, n)));
        s.resume();
      });
      servers.push(server);
      server.listen(path, () => connect(path).end('over unix'));
    });
    try {
      expect(await got).toBe('over unix');
      expect(started).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(certs === undefined)(
    'reads TLS sockets directly: every decrypted byte in order, through the shared buffer',
    async () => {
      const c = certs!;
      const payload = randomBytes(200 * 1024);
      const hash = createHash('sha256');
      const buffers = new Set<ArrayBufferLike>();
      let received = 0;
      let result: boolean | undefined;
      const done = new Promise<void>((resolve) => {
        const server = createTlsServer({ cert: c.serverCert, key: c.serverKey }, (s) => {
          result = startDirectReads(s, (n, buf) => {
            buffers.add(buf.buffer);
            hash.update(buf.subarray(0, n));
            received += n;
            if (received === payload.length) s.end('done');
          });
          s.resume();
          s.once('end', resolve);
        });
        servers.push(server as unknown as Server);
        server.listen(0, '127.0.0.1', () => {
          const port = (server.address() as { port: number }).port;
          const client = tlsConnect({ port, host: '127.0.0.1', ca: c.ca, servername: 'localhost' });
          client.resume();
          client.once('end', () => client.end());
          client.end(payload);
        });
      });
      await done;
      expect(result).toBe(true);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
      expect(buffers.size).toBe(1);
    },
  );

  it('pauses and resumes with socket.pause() and socket.resume()', async () => {
    let accepted: Socket | undefined;
    let received = 0;
    const client = await pair((s) => {
      accepted = s;
      startDirectReads(s, (n) => {
        received += n;
        s.pause();
      });
    });
    client.write('a');
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(1);
    client.write('bc');
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(1); // paused: nothing more was read
    accepted?.resume();
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(3);
    client.destroy();
  });

  it('refuses a socket with bytes already buffered in its Readable', async () => {
    let result: boolean | undefined;
    const client = await pair((s) => {
      s.once('readable', () => {
        result = startDirectReads(s, () => {});
        s.destroy();
      });
    });
    client.write('x');
    await new Promise((r) => setTimeout(r, 50));
    expect(result).toBe(false);
    client.destroy();
  });

  it('still reports end and close while reading directly', async () => {
    const events: string[] = [];
    const closed = new Promise<void>((resolve) => {
      void pair((s) => {
        startDirectReads(s, () => events.push('data'));
        s.resume();
        s.on('end', () => {
          events.push('end');
          s.end();
        });
        s.on('close', () => resolve());
      }).then((client) => client.end('hi'));
    });
    await closed;
    expect(events).toEqual(['data', 'end']);
  });

  it('turns back into an ordinary stream with copies and backpressure', async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    let accepted: Socket | undefined;
    const client = await pair(
      (s) => {
        accepted = s;
        startDirectReads(s, () => {
          throw new Error('no direct read expected');
        });
        s.pause();
        endDirectReads(s);
      },
      { pauseOnConnect: true },
    );
    client.end(payload);
    await new Promise((r) => setTimeout(r, 100));
    const socket = accepted as Socket;
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', resolve);
      socket.resume();
    });
    const all = Buffer.concat(chunks);
    expect(all.equals(payload)).toBe(true);
    // Each chunk is its own copy, not a view of the shared read buffer.
    expect(new Set(chunks.map((c) => c.buffer)).size).toBeGreaterThan(1);
  });
});
