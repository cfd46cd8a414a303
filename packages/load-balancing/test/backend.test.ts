import { describe, expect, it } from 'vitest';
import { compareBackends } from '../src/backend.ts';
import { Backend } from '../src/index.ts';

describe('Backend', () => {
  it('parses IPv4, IPv6 and Unix addresses into canonical text', () => {
    expect(new Backend('1.2.3.4:80').addr).toBe('1.2.3.4:80');
    expect(new Backend('[2001:DB8:0:0::1]:443').addr).toBe('[2001:db8::1]:443');
    expect(new Backend('[::ffff:1.2.3.4]:80').addr).toBe('[::ffff:102:304]:80');
    expect(new Backend('unix:/run/app.sock').addr).toBe('unix:/run/app.sock');
    const b = new Backend('[::1]:8080', { weight: 3 });
    expect(b.socketAddr).toEqual({ kind: 'inet', family: 6, address: '::1', port: 8080 });
    expect(b.weight).toBe(3);
    expect(String(b)).toBe('[::1]:8080 (weight 3)');
  });

  it('rejects host names, bad ports and bad weights with ConfigErrors', () => {
    for (const bad of [
      'example.com:80',
      '1.2.3.4',
      '1.2.3.4:99999',
      '1.2.3.4:-1',
      '',
      '[::1]80',
      'unix:',
    ]) {
      expect(() => new Backend(bad), bad).toThrow(/ConfigError/);
    }
    for (const weight of [0, -1, 1.5, 65_536, Number.NaN]) {
      expect(() => new Backend('1.2.3.4:80', { weight }), String(weight)).toThrow(/ConfigError/);
    }
  });

  it('orders like Pingora: IPv4 by address bytes then port, IPv6 after, Unix last, then weight', () => {
    const inOrder = [
      '1.0.0.1:80',
      '1.0.0.1:81',
      '1.0.0.255:80',
      '1.1.1.1:80',
      '9.0.0.0:1',
      '10.0.0.0:1',
      '[::1]:80',
      '[2001:db8::1]:80',
      '[2001:db8::1:0]:80',
      'unix:/a',
    ].map((a) => new Backend(a));
    const shuffled = [...inOrder].reverse().sort(compareBackends);
    expect(shuffled.map((b) => b.addr)).toEqual(inOrder.map((b) => b.addr));
    const light = new Backend('1.0.0.1:80');
    const heavy = new Backend('1.0.0.1:80', { weight: 2 });
    expect(compareBackends(light, heavy)).toBeLessThan(0);
  });

  it('identity is address and weight; ext is ignored', () => {
    const a = new Backend('1.2.3.4:80', { ext: new Map([['zone', 'a']]) });
    const b = new Backend('1.2.3.4:80');
    expect(a.equals(b)).toBe(true);
    expect(a.equals(new Backend('1.2.3.4:80', { weight: 2 }))).toBe(false);
    expect(a.ext.get('zone')).toBe('a');
    expect(Backend.is(a)).toBe(true);
    expect(Backend.is({ addr: '1.2.3.4:80' })).toBe(false);
  });
});
