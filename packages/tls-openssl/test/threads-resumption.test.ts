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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const prints = () =>
      [...proc.stdout().matchAll(/rotated (\d+) ([0-9a-f]+)/g)].map((m) => ({
        thread: m[1] as string,
        key: m[2] as string,
      }));
    /** Keys every thread (main and both server threads) reported, among prints[from..]. */
    const fullKeys = (from: number): string[] => {
      const byKey = new Map<string, Set<string>>();
      for (const p of prints().slice(from))
        byKey.set(p.key, (byKey.get(p.key) ?? new Set()).add(p.thread));
      return [...byKey].filter(([, threads]) => threads.size === 3).map(([key]) => key);
    };
    /** Waits for a rotation that starts after now to reach every thread. */
    const nextRotation = async (): Promise<void> => {
      const from = prints().length;
      for (let i = 0; i < 200 && fullKeys(from).length === 0; i++) await sleep(50);
      expect(fullKeys(from).length, proc.stdout()).toBeGreaterThan(0);
    };
    let checked = false;
    // A loaded machine may be slow enough for the next rotation to fall inside a check: retry then.
    for (let attempt = 0; attempt < 3 && !checked; attempt++) {
      await nextRotation();
      const mark = prints().length;
      // Just after a rotation: a ticket from one thread resumes on the other.
      const fresh = await visit(port, 'TLSv1.3');
      const onOther: Visit[] = [];
      for (let i = 0; i < 4; i++) onOther.push(await visit(port, 'TLSv1.3', fresh.session));
      if (prints().length !== mark) continue;
      expect(new Set(onOther.map((v) => v.thread)).size).toBe(2);
      expect(onOther.map((v) => v.reused)).toEqual(Array(4).fill(true));
      // After the next rotation, that ticket resumes on no thread.
      await nextRotation();
      const stale: Visit[] = [];
      for (let i = 0; i < 2; i++) stale.push(await visit(port, 'TLSv1.3', fresh.session));
      expect(new Set(stale.map((v) => v.thread)).size).toBe(2);
      expect(stale.map((v) => v.reused)).toEqual([false, false]);
      checked = true;
    }
    expect(checked).toBe(true);
    // One schedule, the main thread's: every key a server thread used was main's and the other
    // thread's too (keys only main printed were rotations before the threads started; the last
    // key may still be on its way to a thread).
    const all = prints();
    const last = all[all.length - 1]?.key;
    for (const key of new Set(all.filter((p) => p.thread !== '0').map((p) => p.key))) {
      if (key === last) continue;
      expect(new Set(all.filter((p) => p.key === key).map((p) => p.thread)).size).toBe(3);
    }
    expect(await proc.stop()).toBe(0);
  });
});
