/**
 * startSuccessor on real processes: the successor serves on the listener it
 * inherited and reports ready; one that exits early or never reports is a
 * SuccessorError (the latter killed).
 */
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningFd, SuccessorError, startSuccessor } from '../src/index.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'successor.mjs');
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listener(): Promise<{ server: Server; port: number; fd: number }> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fd = listeningFd(server);
  if (fd === undefined) throw new Error('no fd');
  return { server, port: (server.address() as { port: number }).port, fd };
}

function args(mode: string): string[] {
  return ['--conditions=@pingora-ts/source', '--experimental-strip-types', FIXTURE, mode];
}

function read(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe('startSuccessor', () => {
  it('starts a process that serves on the inherited listener once ready', async () => {
    const { server, port, fd } = await listener();
    const successor = await startSuccessor({
      listeners: [{ key: 'svc/test', fd }],
      readyTimeoutMs: 15_000,
      args: args('serve'),
    });
    // We stop accepting; the socket lives on in the successor.
    server.close();
    expect(await read(port)).toBe(`pid ${successor.pid}`);
    process.kill(successor.pid, 'SIGTERM');
  });

  it('rejects when the new process exits before it is ready', async () => {
    const { fd } = await listener();
    const err = await startSuccessor({
      listeners: [{ key: 'svc/test', fd }],
      readyTimeoutMs: 15_000,
      args: args('exit'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuccessorError);
    expect((err as SuccessorError).code).toBe('exit');
    expect((err as Error).message).toMatch(/exited before it was ready \(code 3/);
  });

  it('rejects and kills a new process that does not report ready in time', async () => {
    const { fd } = await listener();
    const err = await startSuccessor({
      listeners: [{ key: 'svc/test', fd }],
      readyTimeoutMs: 500,
      args: args('hang'),
    }).catch((e: unknown) => e);
    expect((err as SuccessorError).code).toBe('timeout');
  });
});
