import { ErrorType, PingoraError } from '@pingora-ts/error';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BasicPeer, HttpPeer, type HttpPeerInit } from '../../src/index.ts';

function configError(fn: () => unknown): PingoraError {
  try {
    fn();
  } catch (err) {
    if (PingoraError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a PingoraError');
}

const CERT_A = { cert: '-----BEGIN CERTIFICATE-----\nA\n', key: 'key-a' };
const CERT_B = { cert: '-----BEGIN CERTIFICATE-----\nB\n', key: 'key-a' };

describe('HttpPeer', () => {
  it('parses IPv4, IPv6 and Unix addresses and prints itself', () => {
    const v4 = new HttpPeer('127.0.0.1:8080', { tls: false, sni: '' });
    expect(v4.address).toEqual({ kind: 'inet', family: 4, address: '127.0.0.1', port: 8080 });
    expect(v4.tls).toBe(false);
    expect(v4.toString()).toBe('addr: 127.0.0.1:8080, scheme: http');
    const v6 = new HttpPeer('[::1]:443', { tls: true, sni: 'example.com' });
    expect(v6.address).toMatchObject({ family: 6, address: '::1', port: 443 });
    expect(v6.toString()).toBe('addr: [::1]:443, scheme: https, sni: example.com');
    const unix = new HttpPeer('unix:/run/app.sock');
    expect(unix.address).toEqual({ kind: 'unix', path: '/run/app.sock' });
  });

  it('has Pingora defaults: verify cert and hostname, ALPN h1, no timeouts', () => {
    const p = new HttpPeer('10.0.0.1:80');
    expect(p.options).toMatchObject({
      verifyCert: true,
      verifyHostname: true,
      alpn: 'h1',
      connectionTimeout: undefined,
      idleTimeout: undefined,
      tcpFastOpen: false,
    });
  });

  it('rejects bad addresses and options with clear errors', () => {
    expect(configError(() => new HttpPeer('example.com:80')).type).toBe(ErrorType.SocketError);
    expect(configError(() => new HttpPeer('1.2.3.4:99999')).type).toBe(ErrorType.SocketError);
    const bad: HttpPeerInit['options'][] = [
      { connectionTimeout: -1 },
      { readTimeout: Number.NaN },
      { idleTimeout: Number.POSITIVE_INFINITY },
      { bindTo: 'localhost' },
      { alpn: 'h3' as never },
      { tcpKeepalive: { idleMs: -5 } },
      { ca: '' },
      { ca: [] },
      { curves: 'X25519; rm -rf' },
    ];
    for (const options of bad) {
      const err = configError(() => new HttpPeer('1.2.3.4:80', { options }));
      expect(err.type).toBe(ErrorType.ConfigError);
      expect(err.message).toMatch(/peer option/);
    }
  });

  it('rejects CONNECT proxy settings that could inject bytes', () => {
    const base = { nextHop: '127.0.0.1:3128', host: 'origin.example', port: 443 };
    for (const proxy of [
      { ...base, host: 'a b' },
      { ...base, host: 'evil\r\nX: y' },
      { ...base, port: 0 },
      { ...base, headers: { 'Bad Name': 'x' } },
      { ...base, headers: { 'X-Ok': 'line\r\nInjected: 1' } },
      { ...base, headers: { Host: 'other' } },
    ]) {
      expect(configError(() => new HttpPeer('1.2.3.4:443', { proxy })).type).toBe(
        ErrorType.ConfigError,
      );
    }
  });
});

describe('reuseHash', () => {
  const base = (): HttpPeerInit => ({
    tls: true,
    sni: 'a.example',
    clientCert: CERT_A,
    proxy: { nextHop: 'unix:/tmp/p.sock', host: 'a.example', port: 443, headers: { 'X-A': '1' } },
    options: { verifyCert: true, verifyHostname: true, alternativeCn: 'alt.example' },
  });

  it('is equal for equal peers and ignores options that do not affect safety', () => {
    const a = new HttpPeer('10.0.0.1:443', base());
    const b = new HttpPeer('10.0.0.1:443', {
      ...base(),
      options: {
        ...base().options,
        readTimeout: 5,
        writeTimeout: 7,
        idleTimeout: 9,
        connectionTimeout: 1,
        tcpKeepalive: { idleMs: 1000 },
      },
    });
    expect(a.reuseHash()).toBe(b.reuseHash());
    expect(a.reuseHash()).toBe(a.reuseHash()); // cached, stable
  });

  it('differs when any hashed attribute differs', () => {
    const ref = new HttpPeer('10.0.0.1:443', base()).reuseHash();
    const variants: [string, HttpPeer][] = [
      ['ip', new HttpPeer('10.0.0.2:443', base())],
      ['port', new HttpPeer('10.0.0.1:444', base())],
      ['scheme', new HttpPeer('10.0.0.1:443', { ...base(), tls: false })],
      ['sni', new HttpPeer('10.0.0.1:443', { ...base(), sni: 'b.example' })],
      ['client cert', new HttpPeer('10.0.0.1:443', { ...base(), clientCert: CERT_B })],
      ['no client cert', new HttpPeer('10.0.0.1:443', { ...base(), clientCert: undefined })],
      [
        'verify cert',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          options: { ...base().options, verifyCert: false },
        }),
      ],
      [
        'verify hostname',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          options: { ...base().options, verifyHostname: false },
        }),
      ],
      [
        'alternative cn',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          options: { ...base().options, alternativeCn: 'other.example' },
        }),
      ],
      ['no proxy', new HttpPeer('10.0.0.1:443', { ...base(), proxy: undefined })],
      [
        'proxy next hop',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          proxy: { ...base().proxy!, nextHop: 'unix:/tmp/q.sock' },
        }),
      ],
      [
        'proxy host',
        new HttpPeer('10.0.0.1:443', { ...base(), proxy: { ...base().proxy!, host: 'b.example' } }),
      ],
      [
        'proxy port',
        new HttpPeer('10.0.0.1:443', { ...base(), proxy: { ...base().proxy!, port: 8443 } }),
      ],
      [
        'proxy headers',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          proxy: { ...base().proxy!, headers: { 'X-A': '2' } },
        }),
      ],
      ['group key', new HttpPeer('10.0.0.1:443', { ...base(), groupKey: 'tenant-2' })],
      [
        'ca',
        new HttpPeer('10.0.0.1:443', { ...base(), options: { ...base().options, ca: 'CA-1' } }),
      ],
      [
        'other ca',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          options: { ...base().options, ca: [Buffer.from('CA-2')] },
        }),
      ],
      [
        'curves',
        new HttpPeer('10.0.0.1:443', {
          ...base(),
          options: { ...base().options, curves: 'X25519' },
        }),
      ],
    ];
    const seen = new Set([ref]);
    for (const [name, peer] of variants) {
      expect(peer.reuseHash(), name).not.toBe(ref);
      seen.add(peer.reuseHash());
    }
    expect(seen.size).toBe(variants.length + 1);
  });

  it('follows changes to hashed options made after construction', () => {
    const peer = new HttpPeer('10.0.0.1:443', base());
    const before = peer.reuseHash();
    peer.options.verifyCert = false;
    expect(peer.reuseHash()).not.toBe(before);
    peer.options.verifyCert = true;
    expect(peer.reuseHash()).toBe(before);
    peer.options.alternativeCn = undefined;
    expect(peer.reuseHash()).not.toBe(before);
    const noAlt = peer.reuseHash();
    peer.options.ca = 'CA-1';
    expect(peer.reuseHash()).not.toBe(noAlt);
  });

  it('keys the CA by content: equal bundles share, different ones do not', () => {
    const withCa = (ca: string | Buffer): string =>
      new HttpPeer('10.0.0.1:443', { ...base(), options: { ...base().options, ca } }).reuseHash();
    expect(withCa('CA-1')).toBe(withCa(`CA-${1}`));
    expect(withCa(Buffer.from('CA-1'))).toBe(withCa('CA-1'));
    expect(withCa('CA-1')).not.toBe(withCa('CA-2'));
  });

  it('keeps BasicPeers with different TLS settings apart', () => {
    const a = new BasicPeer('10.0.0.1:443', { sni: 'a', options: { ca: 'CA-1' } });
    const b = new BasicPeer('10.0.0.1:443', { sni: 'a', options: { ca: 'CA-2' } });
    const c = new BasicPeer('10.0.0.1:443', { sni: 'a', options: { verifyCert: false } });
    expect(new Set([a.reuseHash(), b.reuseHash(), c.reuseHash()]).size).toBe(3);
  });

  it('never lets a BasicPeer and an HttpPeer share connections', () => {
    expect(new BasicPeer('10.0.0.1:80').reuseHash()).not.toBe(
      new HttpPeer('10.0.0.1:80').reuseHash(),
    );
    expect(new BasicPeer('10.0.0.1:80').reuseHash()).toBe(new BasicPeer('10.0.0.1:80').reuseHash());
    expect(new BasicPeer('10.0.0.1:80', { sni: 'x' }).reuseHash()).not.toBe(
      new BasicPeer('10.0.0.1:80').reuseHash(),
    );
  });

  it('is equal exactly when the hashed attributes are equal (property)', () => {
    const str = fc.constantFrom('', 'a', 'b', 'a"b', 'a\\', ',');
    const init = fc.record({
      port: fc.constantFrom(80, 81),
      tls: fc.boolean(),
      sni: str,
      cert: fc.constantFrom(undefined, CERT_A, CERT_B),
      verifyCert: fc.boolean(),
      verifyHostname: fc.boolean(),
      alt: fc.constantFrom(undefined, 'a', 'b'),
      proxyHost: fc.constantFrom(undefined, 'a', 'b'),
      readTimeout: fc.constantFrom(undefined, 5, 10),
    });
    const make = (i: typeof init extends fc.Arbitrary<infer T> ? T : never): HttpPeer =>
      new HttpPeer(`10.0.0.1:${i.port}`, {
        tls: i.tls,
        sni: i.sni,
        clientCert: i.cert,
        proxy:
          i.proxyHost === undefined
            ? undefined
            : { nextHop: '127.0.0.1:1', host: i.proxyHost, port: 1 },
        options: {
          verifyCert: i.verifyCert,
          verifyHostname: i.verifyHostname,
          alternativeCn: i.alt,
          readTimeout: i.readTimeout,
        },
      });
    fc.assert(
      fc.property(init, init, (x, y) => {
        const same =
          x.port === y.port &&
          x.tls === y.tls &&
          x.sni === y.sni &&
          x.cert === y.cert &&
          x.verifyCert === y.verifyCert &&
          x.verifyHostname === y.verifyHostname &&
          x.alt === y.alt &&
          x.proxyHost === y.proxyHost;
        expect(make(x).reuseHash() === make(y).reuseHash()).toBe(same);
      }),
      { numRuns: 500 },
    );
  });
});
