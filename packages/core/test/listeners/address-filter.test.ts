/**
 * addressFilter: allow/deny by address and CIDR range, checked against a
 * straightforward bit comparison for random IPv4 rules (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressFilter, type SocketAddr } from '../../src/index.ts';

const v4 = (address: string): SocketAddr => ({ kind: 'inet', family: 4, address, port: 1 });
const v6 = (address: string): SocketAddr => ({ kind: 'inet', family: 6, address, port: 1 });

describe('addressFilter', () => {
  it('allows listed ranges, denies the rest; deny wins; Unix peers follow allowUnix', () => {
    const f = addressFilter({
      allow: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'],
      deny: ['10.6.6.0/24'],
    });
    expect(f.shouldAccept(v4('10.1.2.3'))).toBe(true);
    expect(f.shouldAccept(v4('10.6.6.7'))).toBe(false);
    expect(f.shouldAccept(v4('11.0.0.1'))).toBe(false);
    expect(f.shouldAccept(v4('127.0.0.1'))).toBe(true);
    expect(f.shouldAccept(v4('127.0.0.2'))).toBe(false);
    expect(f.shouldAccept(v6('2001:db8::1'))).toBe(true);
    expect(f.shouldAccept(v6('2001:db9::1'))).toBe(false);
    // A dual-stack listener sees IPv4 peers as IPv4-mapped IPv6.
    expect(f.shouldAccept(v6('::ffff:10.1.2.3'))).toBe(true);
    expect(f.shouldAccept(v6('::ffff:10.6.6.1'))).toBe(false);
    expect(f.shouldAccept(undefined)).toBe(true);
    expect(addressFilter({ allowUnix: false }).shouldAccept(undefined)).toBe(false);
    // No allow list: everyone but the denied.
    const d = addressFilter({ deny: ['192.0.2.0/24'] });
    expect(d.shouldAccept(v4('192.0.2.9'))).toBe(false);
    expect(d.shouldAccept(v4('198.51.100.1'))).toBe(true);
  });

  it('refuses malformed rules, naming the list and index', () => {
    expect(() => addressFilter({ allow: ['10.0.0.0/8', 'example.com'] })).toThrow(
      /allow\[1\] "example\.com"/,
    );
    expect(() => addressFilter({ deny: ['10.0.0.0/33'] })).toThrow(/deny\[0\]/);
    expect(() => addressFilter({ deny: ['::/129'] })).toThrow(/deny\[0\]/);
    expect(() => addressFilter({ deny: ['10.0.0.0/x'] })).toThrow(/deny\[0\]/);
  });

  it('property: an IPv4 range rule matches exactly the addresses sharing its prefix bits', () => {
    const ip = fc.integer({ min: 0, max: 0xffffffff });
    const text = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
    fc.assert(
      fc.property(ip, fc.integer({ min: 0, max: 32 }), ip, (base, prefix, probe) => {
        const f = addressFilter({ allow: [`${text(base)}/${prefix}`] });
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        const expected = (base & mask) >>> 0 === (probe & mask) >>> 0;
        expect(f.shouldAccept(v4(text(probe)))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
