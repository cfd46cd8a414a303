/**
 * The gateway with an `acme:` section, against pebble on loopback: the
 * certificate for the name is issued over http-01 (answered on the plain
 * endpoint before the proxy) and served on `tls_listen` by SNI, proxying to
 * the origins; a misspelt acme key is a ConfigError with its line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, Pebble } from '../../../packages/tls-acme/test/utils/pebble.ts';
import { addGateway } from '../src/gateway.ts';
import { eventually, origins } from './utils/harness.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const NAME = 'pingora-ts.test';
const logger = createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' });

function fallbackCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'fallback.pem');
  const key = join(dir, 'fallback.key');
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
    '/CN=fallback',
  ]);
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

/** The issuer CN and status line of a GET over TLS with SNI `NAME`. */
function tlsGet(port: number): Promise<{ issuer: string; head: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: NAME, rejectUnauthorized: false });
    let data = '';
    s.setTimeout(5_000, () => s.destroy(new Error('timeout')));
    s.once('secureConnect', () => {
      s.write(`GET / HTTP/1.1\r\nHost: ${NAME}\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      data += d.toString();
    });
    s.once('end', () => {
      resolve({
        issuer: s.getPeerX509Certificate()?.issuer ?? '',
        head: data.split('\r\n')[0] ?? '',
      });
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('load balancer with acme:', () => {
  it('issues over http-01 and serves the certificate on tls_listen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-acme-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [origin] = await origins('a');
    cleanups.push(() => origin?.stop());
    const httpPort = await freePort();
    const tlsPort = await freePort();
    const pebble = new Pebble({ httpPort, tlsPort });
    cleanups.push(() => pebble.stop());
    await pebble.start();
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.ca);
    const fb = fallbackCert(dir);
    const confText = `version: 1
load_balancer:
  listen: ["127.0.0.1:${httpPort}"]
  tls_listen: ["127.0.0.1:${tlsPort}"]
  tls:
    cert_path: ${fb.cert}
    key_path: ${fb.key}
  upstreams: ["${origin?.addr}"]
acme:
  directory_url: ${pebble.directoryUrl}
  email: ops@pingora-ts.test
  names: [${NAME}]
  challenges: [http-01]
  storage_path: ${join(dir, 'acme')}
  terms_agreed: true
  directory_ca: ${join(dir, 'pebble-ca.pem')}
`;
    const server = new Server({ confText, logger });
    await addGateway(server);
    server.checkConfigKeys();
    const run = server.run();
    cleanups.push(() => run[Symbol.asyncDispose]());
    await run.ready;
    const issued = await eventually(
      async () => (await tlsGet(tlsPort)).issuer.includes('Pebble'),
      20_000,
    );
    expect(issued).toBe(true);
    const reply = await tlsGet(tlsPort);
    expect(reply.head).toBe('HTTP/1.1 200 OK');
  }, 40_000);

  it('refuses a misspelt acme key with its line', async () => {
    const server = new Server({
      confText: `version: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\nacme:\n  directory_url: https://127.0.0.1:1/dir\n  names: [a.test]\n  storage_path: /tmp/x\n  terms_agreed: true\n  contact: x@a.test\n`,
      logger,
    });
    await expect(addGateway(server)).rejects.toThrow(/:9:3: acme\.contact: unknown key/);
  });
});
