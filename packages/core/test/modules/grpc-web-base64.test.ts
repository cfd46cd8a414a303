/**
 * The streaming base64 of gRPC-web-text: any split of the input decodes to
 * the bytes, messages padded one by one decode too, bad input is a
 * PingoraError, and the encoder's output for any split equals one-shot base64.
 */

import { HeaderList } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Decoder, Base64Encoder, trailerFrame } from '../../src/h2.ts';

function splits(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(buf.subarray(last, p));
    last = p;
  }
  out.push(buf.subarray(last));
  return out;
}

describe('gRPC-web base64 streams', () => {
  it('decodes concatenated padded segments split anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, cuts) => {
          const text = Buffer.from(
            messages.map((m) => Buffer.from(m).toString('base64')).join(''),
            'latin1',
          );
          const d = new Base64Decoder();
          const out = splits(text, cuts).map((piece) => d.push(piece));
          d.end();
          expect(Buffer.concat(out)).toEqual(Buffer.concat(messages.map((m) => Buffer.from(m))));
        },
      ),
    );
  });

  it('encodes any split as one-shot base64', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          const buf = Buffer.from(bytes);
          const e = new Base64Encoder();
          const out = splits(buf, cuts).map((piece) => e.push(piece));
          out.push(e.end());
          expect(Buffer.concat(out).toString('latin1')).toBe(buf.toString('base64'));
        },
      ),
    );
  });

  it('rejects malformed and truncated input', () => {
    expect(() => new Base64Decoder().push(Buffer.from('ab*d'))).toThrow(/invalid base64/);
    expect(() => new Base64Decoder().push(Buffer.from('a=bc'))).toThrow(/invalid base64/);
    const d = new Base64Decoder();
    d.push(Buffer.from('YWJ'));
    expect(() => d.end()).toThrow(/truncated/);
  });

  it('writes the trailer frame as Pingora does', () => {
    const t = new HeaderList();
    t.appendHeader('Grpc-Status', '0');
    t.appendHeader('x-bin', 'AA==');
    const text = 'grpc-status:0\r\nx-bin:AA==\r\n';
    expect(trailerFrame(t)).toEqual(
      Buffer.concat([Buffer.from([0x80, 0, 0, 0, text.length]), Buffer.from(text)]),
    );
  });
});
