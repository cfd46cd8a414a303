import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedNames,
  replaceLeftmostUnderscore,
  sniFor,
  tlsContextKey,
} from '../../src/connectors.ts';
import { BasicPeer, HttpPeer } from '../../src/index.ts';

describe('upstream TLS rules (backend-neutral)', () => {
  it('replaces underscores in the leftmost label only for subdomains (Pingora cases)', () => {
    for (const none of [
      '',
      'some',
      'some.com',
      '1.1.1.1:5050',
      'dog.dot.com',
      'dog.d_t.com',
      'dog.dot.c_m',
      'd_g.com',
      '_',
      'dog.c_m',
    ]) {
      expect(replaceLeftmostUnderscore(none), none).toBeUndefined();
    }
    expect(replaceLeftmostUnderscore('bb_b.some.com')).toBe('bb-b.some.com');
    expect(replaceLeftmostUnderscore('a_a_a.some.com')).toBe('a-a-a.some.com');
    expect(replaceLeftmostUnderscore('_.some.com')).toBe('-.some.com');
  });

  it('never leaves an underscore in the leftmost label it rewrites (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_]{1,8}(\.[a-z_]{1,8}){0,3}$/), (name) => {
        const out = replaceLeftmostUnderscore(name);
        if (out === undefined) return;
        expect(out.split('.')[0]).not.toContain('_');
        expect(out.slice(out.indexOf('.'))).toBe(name.slice(name.indexOf('.')));
      }),
    );
  });

  it('sends no SNI when it is empty or an IP literal', () => {
    expect(sniFor(new HttpPeer('10.0.0.1:443', { tls: true, sni: 'a.example' }))).toBe('a.example');
    expect(sniFor(new HttpPeer('10.0.0.1:443', { tls: true, sni: '' }))).toBeUndefined();
    expect(sniFor(new HttpPeer('10.0.0.1:443', { tls: true, sni: '10.0.0.1' }))).toBeUndefined();
    expect(sniFor(new HttpPeer('10.0.0.1:443', { tls: true, sni: '::1' }))).toBeUndefined();
  });

  it('accepts the SNI (else the IP dialled), the alternative CN and their underscore-free forms', () => {
    const peer = new HttpPeer('10.0.0.1:443', {
      tls: true,
      sni: 'a_b.svc.example',
      options: { alternativeCn: 'alt.example' },
    });
    expect(acceptedNames(peer)).toEqual(['a_b.svc.example', 'a-b.svc.example', 'alt.example']);
    expect(acceptedNames(new HttpPeer('10.0.0.1:443', { tls: true }))).toEqual(['10.0.0.1']);
    expect(acceptedNames(new HttpPeer('unix:/run/x.sock', { tls: true }))).toEqual([]);
  });

  it('keys TLS contexts by CA, client certificate and curves only', () => {
    const key = (init: ConstructorParameters<typeof HttpPeer>[1]) =>
      tlsContextKey(new HttpPeer('10.0.0.1:443', { tls: true, ...init }));
    const base = key({ sni: 'a' });
    // Per-connection settings share a context.
    expect(key({ sni: 'b', options: { verifyHostname: false, alpn: 'h2' } })).toBe(base);
    expect(tlsContextKey(new BasicPeer('10.0.0.2:443', { sni: 'c' }))).toBe(base);
    const distinct = new Set([
      base,
      key({ options: { ca: 'CA-1' } }),
      key({ options: { ca: 'CA-2' } }),
      key({ clientCert: { cert: 'C', key: 'K' } }),
      key({ options: { curves: 'X25519' } }),
    ]);
    expect(distinct.size).toBe(5);
  });
});
