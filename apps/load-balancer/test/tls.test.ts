/**
 * The gateway's TLS endpoints: the `tls_listen`/`tls` keys with their
 * ConfigErrors (key and line), and the sample as users run it: a real
 * process with `--gen-self-signed`, curl --http1.1 over HTTPS through the
 * proxy to its demo origins, the certificate swapped on SIGHUP while the
 * old connection keeps working, and a clean exit on SIGTERM.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { ConfigSource } from '@pingora-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import { lbConfigSchema } from '../src/config.ts';

const APP = join(import.meta.dirname, '..');
const MAIN = join(APP, 'src', 'main.ts');
const exec = promisify(execFile);
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  ]);
  if (r.error !== undefined) throw new Error('this test needs the openssl CLI: install openssl');
  return { cert, key };
}

function refused(yaml: string, file: string): string {
  try {
    lbConfigSchema.read(ConfigSource.parse(yaml, file), 'load_balancer');
  } catch (err) {
    return (err as Error).message;
  }
  throw new TypeError('expected a ConfigError');
}

describe('tls settings', () => {
  it('reads tls_listen and tls into core TlsSettings, paths relative to the YAML file', () => {
    const dir = tempDir();
    const { cert, key } = selfSigned(dir, 'server');
    selfSigned(dir, 'api');
    const c = lbConfigSchema.read(
      ConfigSource.parse(
        'load_balancer:\n  tls_listen: ["127.0.0.1:6443"]\n  tls:\n    cert_path: server.pem\n    key_path: server.key\n' +
          '    sni:\n      api.example.com: { cert_path: api.pem, key_path: api.key }\n' +
          '    client_cert: optional\n    client_ca_path: server.pem\n    min_version: TLSv1.3\n    ciphers: TLS_AES_128_GCM_SHA256\n' +
          '    session_tickets: false\n',
        join(dir, 'conf.yaml'),
      ),
      'load_balancer',
    );
    expect(c.tlsListen).toEqual(['127.0.0.1:6443']);
    expect(c.tls).toMatchObject({
      cert: { certPath: cert, keyPath: key },
      sni: { 'api.example.com': { certPath: join(dir, 'api.pem'), keyPath: join(dir, 'api.key') } },
      clientCert: 'optional',
      clientCa: { path: cert },
      minVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_128_GCM_SHA256',
      sessionTickets: false,
      handshakeTimeoutMs: 10_000,
      maxHandshakes: 10_000,
    });
  });

  it('refuses bad tls values naming the key and line', () => {
    const dir = tempDir();
    selfSigned(dir, 'server');
    const file = join(dir, 'conf.yaml');
    const head = 'load_balancer:\n  tls_listen: ["127.0.0.1:6443"]\n  tls:\n';
    const files = '    cert_path: server.pem\n    key_path: server.key\n';
    expect(refused(`${head}    cert_path: missing.pem\n    key_path: server.key\n`, file)).toMatch(
      /conf\.yaml:4:16: load_balancer\.tls\.cert_path: cannot read .*missing\.pem \(ENOENT\)/,
    );
    selfSigned(dir, 'other');
    expect(refused(`${head}    cert_path: server.pem\n    key_path: other.key\n`, file)).toMatch(
      /conf\.yaml:4:16: load_balancer\.tls\.cert_path: does not load with its key_path: .*key values mismatch/,
    );
    expect(refused(`${head}${files}    client_cert: required\n`, file)).toMatch(
      /load_balancer\.tls\.client_ca_path: required when client_cert is required/,
    );
    expect(refused(`${head}${files}    client_cert: sometimes\n`, file)).toMatch(
      /conf\.yaml:6:18: load_balancer\.tls\.client_cert: expected one of none, optional, required/,
    );
    expect(
      refused(`${head}${files}    sni:\n      "bad name": { cert_path: a, key_path: b }\n`, file),
    ).toMatch(/conf\.yaml:7:7: load_balancer\.tls\.sni\.bad name: expected a server name/);
    expect(
      refused(`${head}${files}    sni:\n      a.example.com: { cert_path: a }\n`, file),
    ).toMatch(/load_balancer\.tls\.sni\.a\.example\.com\.key_path: required key is missing/);
    expect(refused(`${head}${files}    min_versoin: TLSv1.3\n`, file)).toMatch(
      /did you mean "min_version"/,
    );
    expect(refused('load_balancer:\n  tls_listen: ["unix:/tmp/x.sock"]\n', file)).toMatch(
      /load_balancer\.tls_listen\[0\]: TLS endpoints are TCP/,
    );
    expect(refused('load_balancer:\n  tls_listen: ["127.0.0.1:6443"]\n', file)).toMatch(
      /load_balancer\.tls\.cert_path: required when tls_listen is set/,
    );
  });

  it('ignores the tls section while tls_listen is empty (the shipped conf.yaml)', () => {
    const c = lbConfigSchema.read(
      ConfigSource.parse(
        'load_balancer:\n  tls_listen: []\n  tls:\n    cert_path: nowhere.pem\n    key_path: nowhere.key\n',
        'x.yaml',
      ),
      'load_balancer',
    );
    expect(c.tls).toBeUndefined();
  });
});

function spawnMain(args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });
  return { child, log: () => log };
}

async function waitFor<T>(
  what: string,
  log: () => string,
  find: (log: string) => T | undefined,
): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const found = find(log());
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not seen in time: ${log()}`);
}

function serialAt(port: number, ca: Buffer): Promise<{ socket: TLSSocket; serial: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca });
    socket.once('error', reject);
    socket.once('secureConnect', () =>
      resolve({ socket, serial: socket.getPeerX509Certificate()?.serialNumber ?? '' }),
    );
  });
}

describe('load-balancer sample over TLS', () => {
  it('generates a localhost certificate, serves HTTPS to curl, reloads on SIGHUP, exits 0 on SIGTERM', async () => {
    if (spawnSync('curl', ['--version']).status !== 0)
      throw new Error('this test needs curl: install curl');
    const dir = tempDir();
    const conf = join(dir, 'conf.yaml');
    writeFileSync(
      conf,
      'version: 1\ngrace_period_seconds: 1\nload_balancer:\n  listen: []\n  tls_listen: ["127.0.0.1:0"]\n' +
        '  tls:\n    cert_path: certs/localhost.pem\n    key_path: certs/localhost.key\n    watch_files: false\n',
    );
    const { child, log } = spawnMain(['-c', conf, '--gen-self-signed']);
    const port = await waitFor('the TLS listener', log, (l) => {
      const m = /"service":"load_balancer".*"bound":\{[^}]*"port":(\d+)/.exec(l);
      return m === null ? undefined : Number(m[1]);
    });
    const certPath = join(dir, 'certs', 'localhost.pem');
    expect(existsSync(certPath)).toBe(true);
    const res = await exec('curl', [
      '-sS',
      '--http1.1',
      '--cacert',
      certPath,
      '--resolve',
      `localhost:${port}:127.0.0.1`,
      '-D',
      '-',
      `https://localhost:${port}/hello`,
    ]);
    expect(res.stdout).toMatch(/^HTTP\/1.1 200/);
    expect(res.stdout).toContain('GET /hello');

    const old = await serialAt(port, readFileSync(certPath));
    const next = selfSigned(dir, 'next');
    copyFileSync(next.key, join(dir, 'certs', 'localhost.key'));
    copyFileSync(next.cert, certPath);
    child.kill('SIGHUP');
    await waitFor('the reload', log, (l) => (/reload done/.test(l) ? true : undefined));
    const fresh = await serialAt(port, readFileSync(certPath));
    expect(fresh.serial).not.toBe(old.serial);
    // The connection made before the reload still carries HTTP.
    old.socket.write('GET /old HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const [answer] = (await once(old.socket, 'data')) as [Buffer];
    expect(answer.toString()).toMatch(/^HTTP\/1.1 200/);
    old.socket.destroy();
    fresh.socket.destroy();

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('-t accepts a TLS configuration whose files load', async () => {
    const dir = tempDir();
    selfSigned(dir, 'server');
    const conf = join(dir, 'conf.yaml');
    writeFileSync(
      conf,
      'version: 1\nload_balancer:\n  tls_listen: ["127.0.0.1:6443"]\n  tls:\n    cert_path: server.pem\n    key_path: server.key\n',
    );
    const { child, log } = spawnMain(['-t', '-c', conf]);
    const [code] = (await once(child, 'exit')) as [number];
    expect(log()).toContain('test is successful');
    expect(code).toBe(0);
  });
});
