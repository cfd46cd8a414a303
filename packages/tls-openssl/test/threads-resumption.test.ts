/**
 * TLS session resumption across server threads, on a real process with
 * `threads: 2`: a session ticket issued by one thread resumes on a
 * connection the main thread hands to the other, or the kernel gives the
 * other's SO_REUSEPORT listener (every listener's default keys are shared),
 * and with a rotation schedule the main thread rotates the
 * one key every thread uses: each rotation reaches every thread with the
 * same key, a ticket from before it resumes nowhere, one from after it
 * resumes on the other thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TestPki } from './utils/pki.ts';
import { type Proc, spawnEntry } from './utils/process.ts';

const SERVER = join(import.meta.dirname, 'fixtures', 'threaded-tls-server.ts');
vi.setConfig({ testTimeout: 60_000 });

const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const leaf = pki.leaf(ca, ['localhost']);
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(more = '', reusePort = false): Promise<{ proc: Proc; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-tls-threads-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(
    conf,
    `version: 1
threads: 2
work_stealing: ${!reusePort}
grace_period_seconds: 1
graceful_shutdown_timeout_seconds: 1
fixture:
  listen: 127.0.0.1:${reusePort ? await freePort() : 0}
  cert_path: ${leaf.certPath}
  key_path: ${leaf.keyPath}
${more}`,
  );
  const proc = spawnEntry(SERVER, ['-c', conf]);
  cleanups.push(() => {
    if (proc.proc.exitCode === null) proc.proc.kill('SIGKILL');
  });
  // With reusePort every thread binds and reports; the first report gives the port.
  const m = await proc.waitFor(/listening \[.*?"port":(\d+)/);
  return { proc, port: Number(m[1]) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Visit {
  thread: number;
  reused: boolean;
  /** The first session (ticket) the server sent on this connection. */
  session: Buffer;
}

/** One HTTPS request on a new connection (offering `session`), with its ticket. */
function visit(port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3', session?: Buffer): Promise<Visit> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: ca.cert,
      maxVersion,
      ...(session === undefined ? {} : { session }),
    });
    let got: Buffer | undefined;
    let reused = false;
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), 10_000);
    socket.once('session', (s: Buffer) => {
      got = s;
    });
    socket.on('secureConnect', () => {
      reused = socket.isSessionReused();
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    socket.setEncoding('utf8').on('data', (d: string) => {
      text += d;
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const thread = /\r\nx-thread: (\d+)/i.exec(text)?.[1];
      const ticket = got ?? socket.getSession();
      if (thread === undefined || ticket === undefined) {
        reject(new Error(`no answer or no ticket: ${JSON.stringify(text)}`));
        return;
      }
      resolve({ thread: Number(thread), reused, session: ticket });
    });
  });
}

describe('threads: 2', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: a ticket issued by one thread resumes on connections landing on the other`, async () => {
      const { proc, port } = await start();
      const first = await visit(port, version);
      expect(first.reused).toBe(false);
      const later: Visit[] = [];
      for (let i = 0; i < 6; i++) later.push(await visit(port, version, first.session));
      // The main thread hands new connections to the threads in turn: both served.
      const threads = new Set(later.map((v) => v.thread));
      expect(threads.size).toBe(2);
      expect(threads.has(first.thread)).toBe(true);
      expect(later.map((v) => v.reused)).toEqual(Array(6).fill(true));
      expect(await proc.stop()).toBe(0);
    });
  }

  it('reuseport (work_stealing: false): a ticket issued by one thread resumes on the other', async () => {
    const { proc, port } = await start('', true);
    // Each thread binds its own listener; the kernel picks one per connection by address hash.
    await proc.waitFor(/(?:[\s\S]*?listening \[[^\n]*\n){2}/);
    const first = await visit(port, 'TLSv1.3');
    const later: Visit[] = [];
    for (let i = 0; i < 12; i++) later.push(await visit(port, 'TLSv1.3', first.session));
    expect(new Set(later.map((v) => v.thread)).size).toBe(2);
    expect(later.map((v) => v.reused)).toEqual(Array(12).fill(true));
    expect(await proc.stop()).toBe(0);
  });

  it('ticket keys rotate on the main thread schedule, together on every thread', async () => {
    const { proc, port } = await start('  rotate_ms: 2000\n');
    /** Waits for rotation number `n`: every thread (main and both server threads) reports its key. */
    const rotation = async (n: number): Promise<string> => {
      const m = await proc.waitFor(
        new RegExp(`(?:[\\s\\S]*?rotated \\d+ [0-9a-f]+\\n){${3 * n}}`),
        10_000,
      );
      const lines = [...m[0].matchAll(/rotated (\d+) ([0-9a-f]+)/g)].slice(-3);
      // One key, printed by three different threads: main (0) and the two server threads.
      expect(new Set(lines.map((l) => l[2])).size).toBe(1);
      expect(lines.map((l) => l[1])).toContain('0');
      expect(new Set(lines.map((l) => l[1])).size).toBe(3);
      return lines[0]?.[2] as string;
    };
    // The schedule started with the configuration: take a ticket just after a rotation.
    const k1 = await rotation(1);
    const before = await visit(port, 'TLSv1.3');
    const k2 = await rotation(2);
    expect(k2).not.toBe(k1);
    // Fresh after the rotation: a ticket from one thread resumes on the other.
    const after = await visit(port, 'TLSv1.3');
    const onOther: Visit[] = [];
    for (let i = 0; i < 4; i++) onOther.push(await visit(port, 'TLSv1.3', after.session));
    expect(new Set(onOther.map((v) => v.thread)).size).toBe(2);
    expect(onOther.map((v) => v.reused)).toEqual(Array(4).fill(true));
    // The ticket from before the rotation resumes on no thread.
    const stale: Visit[] = [];
    for (let i = 0; i < 2; i++) stale.push(await visit(port, 'TLSv1.3', before.session));
    expect(new Set(stale.map((v) => v.thread)).size).toBe(2);
    expect(stale.map((v) => v.reused)).toEqual([false, false]);
    // One schedule, not one per thread: every key was printed by all three threads.
    const prints = [...proc.stdout().matchAll(/rotated \d+ ([0-9a-f]+)/g)].map((m) => m[1]);
    for (const p of new Set(prints)) expect(prints.filter((q) => q === p).length).toBe(3);
    expect(await proc.stop()).toBe(0);
  });
});
