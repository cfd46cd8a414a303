import { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { HeaderList, RequestHeader, ResponseHeader } from '../src/index.ts';
import { expectInvalid } from './utils/expect-invalid.ts';

function req(): RequestHeader {
  return RequestHeader.build('GET', '/');
}

describe('HeaderList: case, order and repeated fields', () => {
  it('keeps the original case and order of names on the wire', () => {
    const h = req();
    h.appendHeader('x-LoWeR', 'a');
    h.appendHeader('Host', 'example.com');
    h.appendHeader('X-UPPER', 'b');
    h.appendHeader('host', 'second');
    expect(h.headerNames()).toEqual(['x-LoWeR', 'Host', 'X-UPPER', 'host']);
    expect(h.toWire().toString('latin1')).toBe(
      'GET / HTTP/1.1\r\nx-LoWeR: a\r\nHost: example.com\r\nX-UPPER: b\r\nhost: second\r\n\r\n',
    );
  });

  it('looks names up case-insensitively', () => {
    const h = req();
    h.appendHeader('Content-Type', 'text/plain');
    expect(h.getHeader('content-type')).toBe('text/plain');
    expect(h.getHeader('CONTENT-TYPE')).toBe('text/plain');
    expect(h.hasHeader('cOnTeNt-TyPe')).toBe(true);
    expect(h.hasHeader('content-length')).toBe(false);
    expect(h.getHeader('content-length')).toBeUndefined();
  });

  it('holds repeated values: append adds, getAll returns them in order', () => {
    const h = req();
    h.appendHeader('Set-Cookie', 'a=1');
    h.appendHeader('X-Other', 'o');
    h.appendHeader('set-cookie', 'b=2');
    h.appendHeader('SET-COOKIE', 'c=3');
    expect(h.getAll('Set-Cookie')).toEqual(['a=1', 'b=2', 'c=3']);
    expect(h.getHeader('set-cookie')).toBe('a=1');
    expect(h.headerCount).toBe(4);
    expect(h.getAll('missing')).toEqual([]);
  });

  it('insert replaces every value, keeping the first position and taking the new case', () => {
    const h = req();
    h.appendHeader('A', '1');
    h.appendHeader('via', 'v1');
    h.appendHeader('B', '2');
    h.appendHeader('Via', 'v2');
    h.insertHeader('VIA', 'proxy');
    expect([...h]).toEqual([
      ['A', '1'],
      ['VIA', 'proxy'],
      ['B', '2'],
    ]);
    h.insertHeader('New', 7);
    expect([...h].at(-1)).toEqual(['New', '7']);
  });

  it('remove returns every removed value and keeps the others in order', () => {
    const h = req();
    h.appendHeader('A', '1');
    h.appendHeader('X', 'x1');
    h.appendHeader('B', '2');
    h.appendHeader('x', 'x2');
    h.appendHeader('C', '3');
    expect(h.removeHeader('X')).toEqual(['x1', 'x2']);
    expect(h.removeHeader('X')).toBeUndefined();
    expect([...h]).toEqual([
      ['A', '1'],
      ['B', '2'],
      ['C', '3'],
    ]);
  });

  it('forEachHeader, nameAt/valueAt and entries agree', () => {
    const h = req();
    h.appendHeader('One', '1');
    h.appendHeader('Two', '2');
    const seen: string[] = [];
    h.forEachHeader((n, v) => seen.push(`${n}=${v}`));
    expect(seen).toEqual(['One=1', 'Two=2']);
    expect([h.nameAt(1), h.valueAt(1), h.nameAt(2)]).toEqual(['Two', '2', undefined]);
    expect([...h.entries()]).toEqual([...h]);
    h.clearHeaders();
    expect(h.headerCount).toBe(0);
  });

  it('appendUnchecked stores what a parser hands it, looked up case-insensitively', () => {
    const h = RequestHeader.unchecked('GET', '/', 'HTTP/1.1');
    h.appendUnchecked('Accept', '*/*');
    h.appendUnchecked('X-Pre', 'v', 'x-pre');
    expect(h.getHeader('ACCEPT')).toBe('*/*');
    expect(h.getHeader('x-PRE')).toBe('v');
  });

  it('finds names correctly however many distinct names were looked up before', () => {
    const h = req();
    h.appendHeader('X-Late', 'late');
    for (let i = 0; i < 3000; i++) expect(h.getHeader(`X-Miss-${i}`)).toBeUndefined();
    expect(h.getHeader('x-LATE')).toBe('late');
    expect(h.hasHeader('X-late')).toBe(true);
    const long = `X-${'Long'.repeat(40)}`;
    h.insertHeader(long, 'v');
    expect(h.getHeader(long.toLowerCase())).toBe('v');
    expect(h.removeHeader(long.toUpperCase())).toEqual(['v']);
  });

  it('works standalone as a trailer section', () => {
    const trailers = new HeaderList();
    trailers.appendHeader('Grpc-Status', 0);
    trailers.appendHeader('grpc-message', 'ok');
    const buf = Buffer.alloc(trailers.headersWireLength());
    expect(trailers.writeHeaders(buf, 0)).toBe(buf.length);
    expect(buf.toString('latin1')).toBe('Grpc-Status: 0\r\ngrpc-message: ok\r\n');
    expect(trailers.getHeader('GRPC-STATUS')).toBe('0');
  });

  it('clone is deep', () => {
    const a = req();
    a.appendHeader('A', '1');
    const b = a.clone();
    b.appendHeader('B', '2');
    b.insertHeader('a', 'changed');
    b.method = 'POST';
    expect([...a]).toEqual([['A', '1']]);
    expect(a.method).toBe('GET');
    expect([...b]).toEqual([
      ['a', 'changed'],
      ['B', '2'],
    ]);
    const r = ResponseHeader.build(404);
    r.appendHeader('X', 'y');
    const r2 = r.clone();
    r2.status = 200;
    r2.removeHeader('x');
    expect([r.status, r.getHeader('x')]).toEqual([404, 'y']);
  });

  it('trims leading and trailing SP/HTAB from values and keeps inner whitespace', () => {
    const h = req();
    h.appendHeader('A', ' \t padded value\t ');
    h.insertHeader('B', '   ');
    expect(h.getHeader('a')).toBe('padded value');
    expect(h.getHeader('b')).toBe('');
    expect(h.toWire().toString('latin1')).toContain('A: padded value\r\nB: \r\n');
  });

  it('accepts obs-text bytes (0x80-0xFF) in values and writes them as single bytes', () => {
    const h = req();
    h.appendHeader('X-Latin1', 'caf\u00e9\u00ff');
    const wire = h.toWire();
    expect(wire.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff]))).toBe(true);
  });

  it('rejects an invalid insert without changing the list', () => {
    const h = req();
    h.appendHeader('A', '1');
    expect(() => h.insertHeader('A', 'bad\r\nInjected: 1')).toThrow(PingoraError);
    expect(() => h.appendHeader('Bad Name', 'x')).toThrow(PingoraError);
    expect([...h]).toEqual([['A', '1']]);
    expectInvalid(() => h.appendHeader('X-Evil', 'a\nb'), 'X-Evil');
  });
});
