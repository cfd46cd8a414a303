/**
 * The `acme:` YAML section: read through the server (claimed, so a
 * misspelt key fails `-t` with its line), every rule a ConfigError naming
 * the key, and an absent section meaning no ACME.
 */
import { Server } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { acmeOptionsFromServer, FileStorage } from '../src/index.ts';
import { quietLogger } from './utils/servers.ts';

const good = `
version: 1
acme:
  directory_url: https://127.0.0.1:14000/dir
  email: ops@example.com
  names: [example.com, www.example.com]
  challenges: [tls-alpn-01]
  storage_path: /var/lib/pingora-ts/acme
  terms_agreed: true
`;

function server(text: string): Server {
  return new Server({ confText: text, logger: quietLogger });
}

describe('acme YAML section', () => {
  it('reads every key into manager options, and -t passes', () => {
    const s = server(good);
    const o = acmeOptionsFromServer(s);
    expect(o).toMatchObject({
      directoryUrl: 'https://127.0.0.1:14000/dir',
      email: 'ops@example.com',
      names: ['example.com', 'www.example.com'],
      challenges: ['tls-alpn-01'],
      termsOfServiceAgreed: true,
    });
    expect(o?.storage).toBeInstanceOf(FileStorage);
    expect((o?.storage as FileStorage | undefined)?.root).toBe('/var/lib/pingora-ts/acme');
    expect(() => s.checkConfigKeys()).not.toThrow();
  });

  it('is undefined without a section, and the key check still passes', () => {
    const s = server('version: 1\n');
    expect(acmeOptionsFromServer(s)).toBeUndefined();
    expect(() => s.checkConfigKeys()).not.toThrow();
  });

  it('names the key and line of a bad value', () => {
    const cases: [string, string, RegExp][] = [
      ['terms_agreed: true', 'terms_agreed: false', /terms_agreed.*terms of service/s],
      ['challenges: [tls-alpn-01]', 'challenges: [dns-01]', /challenges.*http-01 or tls-alpn-01/s],
      ['names: [example.com, www.example.com]', 'names: ["*.example.com"]', /names.*DNS name/s],
      ['https://127.0.0.1:14000/dir', 'http://127.0.0.1:14000/dir', /directory_url.*https/s],
      ['  storage_path: /var/lib/pingora-ts/acme\n', '', /storage_path.*required/s],
    ];
    for (const [from, to, message] of cases) {
      const text = good.replace(from, to);
      expect(() => acmeOptionsFromServer(server(text)), to).toThrow(message);
    }
    expect(() =>
      acmeOptionsFromServer(server(good.replace('terms_agreed', 'terms_agred'))),
    ).toThrow(/terms_agreed.*required/s);
  });

  it('takes the TLS SNI names when names is omitted (wildcards skipped), else refuses', () => {
    const text = good.replace('  names: [example.com, www.example.com]\n', '');
    const o = acmeOptionsFromServer(server(text), 'acme', ['api.example.com', '*.example.com']);
    expect(o?.names).toEqual(['api.example.com']);
    expect(() => acmeOptionsFromServer(server(text))).toThrow(/acme\.names: required/);
  });

  it('catches a misspelt key inside the section with a hint', () => {
    const s = server(`${good}  emial: x@example.com\n`);
    expect(() => acmeOptionsFromServer(s)).toThrow(
      /:10:3: acme\.emial: unknown key \(did you mean "email"/,
    );
  });
});
