/**
 * Pebble on loopback for the tests: pebble-challtestsrv as the mock DNS
 * (every name is 127.0.0.1), pebble with a test-made HTTPS certificate and
 * its validation ports pointed at our listeners. Restartable on the same
 * port (a new root each start, as pebble does). Fails with an install hint
 * when Debian's pebble package is missing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requirePebble(): void {
  for (const bin of ['pebble', 'pebble-challtestsrv']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${bin} is missing: install pebble (Debian package pebble)`);
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

/** GET over HTTPS trusting only `ca`; resolves the body (bounded in time). */
export function httpsGet(url: string, ca: string, ms = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
  });
}

export interface PebbleOptions {
  /** Where pebble validates http-01 (our plaintext listener). */
  readonly httpPort: number;
  /** Where pebble validates tls-alpn-01 (our TLS listener). */
  readonly tlsPort: number;
  /** Lifetime of issued certificates (default one hour). */
  readonly validitySeconds?: number;
}

export class Pebble {
  readonly dir = mkdtempSync(join(tmpdir(), 'pingora-ts-pebble-'));
  /** The CA of pebble's own HTTPS (trust only in the test). */
  readonly ca: string;
  readonly #opts: PebbleOptions;
  #port = 0;
  #mgmtPort = 0;
  #dnsPort = 0;
  #dns: ChildProcess | undefined;
  #pebble: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(opts: PebbleOptions) {
    requirePebble();
    this.#opts = opts;
    const f = (n: string) => join(this.dir, n);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        f('key.pem'),
        '-out',
        f('cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=pebble test',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    this.ca = execFileSync('cat', [f('cert.pem')], { encoding: 'utf8' });
  }

  get directoryUrl(): string {
    return `https://127.0.0.1:${this.#port}/dir`;
  }

  /** The current root (PEM) that signs issued certificates; changes every start. */
  root(): Promise<string> {
    return httpsGet(`https://127.0.0.1:${this.#mgmtPort}/roots/0`, this.ca);
  }

  async start(): Promise<void> {
    if (this.#port === 0) {
      this.#port = await freePort();
      this.#mgmtPort = await freePort();
      this.#dnsPort = await freePort();
      const mgmt = await freePort();
      this.#dns = this.#spawn(
        'pebble-challtestsrv',
        [
          '-dns01',
          `127.0.0.1:${this.#dnsPort}`,
          '-http01',
          '',
          '-https01',
          '',
          '-tlsalpn01',
          '',
          '-management',
          `127.0.0.1:${mgmt}`,
          '-defaultIPv6',
          '',
        ],
        {},
      );
    }
    const f = (n: string) => join(this.dir, n);
    writeFileSync(
      f('config.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${this.#port}`,
          managementListenAddress: `127.0.0.1:${this.#mgmtPort}`,
          certificate: f('cert.pem'),
          privateKey: f('key.pem'),
          httpPort: this.#opts.httpPort,
          tlsPort: this.#opts.tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          // Short-lived certificates (seconds), so a renewal is due within one timer.
          certificateValidityPeriod: this.#opts.validitySeconds ?? 3_600,
        },
      }),
    );
    this.#pebble = this.#spawn(
      'pebble',
      ['-config', f('config.json'), '-dnsserver', `127.0.0.1:${this.#dnsPort}`],
      { PEBBLE_VA_NOSLEEP: '1' },
    );
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        await httpsGet(this.directoryUrl, this.ca, 1_000);
        return;
      } catch (err) {
        if (Date.now() > until)
          throw new Error(`pebble did not start: ${String(err)}\n${this.output.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops pebble only (the mock DNS stays): the ACME server is down. */
  async stopPebble(): Promise<void> {
    const p = this.#pebble;
    this.#pebble = undefined;
    if (p === undefined || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await this.stopPebble();
    this.#dns?.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  #spawn(bin: string, args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(bin, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      if (this.output.length < 500) this.output.push(d.toString());
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }
}
