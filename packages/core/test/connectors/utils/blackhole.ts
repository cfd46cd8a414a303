/**
 * A loopback address whose connects never complete: a listener with backlog 1
 * in a child process that is stopped (SIGSTOP) so it never accepts, with its
 * accept queue filled first. Further SYNs are dropped by the kernel, so a
 * connect hangs until our own timeout fires. Deterministic, no root needed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface Blackhole {
  readonly port: number;
  [Symbol.asyncDispose](): Promise<void>;
}

const CHILD = `
const s = require('node:net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(String(s.address().port) + '\\n');
  process.kill(process.pid, 'SIGSTOP');
});`;

export async function blackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('blackhole child did not start')), 10_000);
    child.stdout?.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(String(d).trim()));
    });
    child.once('error', reject);
  });
  // Fill the accept queue (backlog + 1) and then some: later SYNs are dropped.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    async [Symbol.asyncDispose]() {
      for (const s of fillers) s.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
