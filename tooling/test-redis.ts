/**
 * Starts a private redis-server for a test: a free loopback port, no
 * persistence, killed on dispose. kill() and restart() (same port) let
 * tests take Redis away in the middle of load; `tls` serves TLS only on
 * that port, `args` adds server options (e.g. --requirepass). Fails with an
 * install hint when the binary is missing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

function hasRedis(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

async function waitPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
}

export interface RedisServerOptions {
  /** Serve TLS only (no plaintext port) with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** More server options, e.g. ['--requirepass', 'secret']. */
  args?: string[];
}

export class RedisServer {
  readonly port: number;
  readonly #options: RedisServerOptions;
  #proc: ChildProcess | undefined;

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.#options = options;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!hasRedis()) throw new Error('install redis-server (Debian package redis-server)');
    const s = new RedisServer(await freePort(), options);
    await s.restart();
    return s;
  }

  /** (Re)starts the server on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const tls = this.#options.tls;
    const proc = spawn(
      'redis-server',
      [
        ...(tls === undefined
          ? ['--port', String(this.port)]
          : [
              '--port',
              '0',
              '--tls-port',
              String(this.port),
              '--tls-cert-file',
              tls.certFile,
              '--tls-key-file',
              tls.keyFile,
              '--tls-auth-clients',
              'no',
            ]),
        ...(this.#options.args ?? []),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--enable-debug-command',
        'local',
      ],
      { stdio: 'ignore' },
    );
    this.#proc = proc;
    await waitPort(this.port, 5000);
  }

  /** Kills the server (SIGKILL: no goodbye to clients). */
  async kill(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const exited = once(p, 'exit');
    p.kill('SIGKILL');
    await exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}
