/**
 * Test PKI made with the openssl CLI in a temp directory: a CA, leaf
 * certificates signed by it (names, serial, validity chosen per test) and
 * client certificates for mTLS. ECDSA P-256 keys keep it fast.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** Upper-case hex, as TlsClientCert.serial and X509Certificate.serialNumber print it. */
  readonly serial: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

let checked = false;

function openssl(args: string[], cwd: string): void {
  if (!checked) {
    if (spawnSync('openssl', ['version']).status !== 0)
      throw new Error(
        'these tests need the openssl CLI: install openssl (apt-get install openssl)',
      );
    checked = true;
  }
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

let nextSerial = 0x1000;

/** Even-length upper-case hex, as OpenSSL prints serial numbers. */
function hex(n: number): string {
  const h = n.toString(16).toUpperCase();
  return h.length % 2 === 0 ? h : `0${h}`;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'pingora-tls-'));
  #n = 0;

  /** A self-signed CA. */
  ca(cn = 'pingora-ts test CA'): CertFiles {
    const name = `ca${this.#n++}`;
    const serial = hex(nextSerial++);
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '30',
        '-subj',
        `/CN=${cn}`,
        '-set_serial',
        `0x${serial}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      this.dir,
    );
    return this.#files(name, serial);
  }

  /** A leaf signed by `ca`, for server names `dns` (first one is also the CN) or a client (`client: true`). */
  leaf(
    ca: CertFiles,
    dns: readonly string[],
    opts: { client?: boolean; cn?: string; org?: string; serial?: number } = {},
  ): CertFiles {
    const name = `leaf${this.#n++}`;
    const serial = hex(opts.serial ?? nextSerial++);
    const cn = opts.cn ?? dns[0] ?? 'leaf';
    const subj = opts.org === undefined ? `/CN=${cn}` : `/CN=${cn}/O=${opts.org}`;
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        subj,
      ],
      this.dir,
    );
    const ext = [
      dns.length > 0 ? `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}` : '',
      `extendedKeyUsage=${opts.client === true ? 'clientAuth' : 'serverAuth'}`,
    ].filter((l) => l !== '');
    writeFileSync(join(this.dir, `${name}.ext`), `${ext.join('\n')}\n`);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        ca.certPath,
        '-CAkey',
        ca.keyPath,
        '-set_serial',
        `0x${serial}`,
        '-days',
        '30',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      ],
      this.dir,
    );
    return this.#files(name, serial);
  }

  /** A self-signed certificate (no CA): what a client with a forged identity would bring. */
  selfSigned(cn: string): CertFiles {
    const name = `self${this.#n++}`;
    const serial = hex(nextSerial++);
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '30',
        '-subj',
        `/CN=${cn}`,
        '-set_serial',
        `0x${serial}`,
      ],
      this.dir,
    );
    return this.#files(name, serial);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #files(name: string, serial: string): CertFiles {
    const certPath = join(this.dir, `${name}.pem`);
    const keyPath = join(this.dir, `${name}.key`);
    return { certPath, keyPath, serial, cert: readFileSync(certPath), key: readFileSync(keyPath) };
  }
}
