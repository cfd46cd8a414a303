import * as zlib from 'node:zlib';
import { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { Algorithm, algorithmAvailable } from '../../src/modules/http/compression/algorithm.ts';
import { StreamCodec } from '../../src/modules/http/compression/stream-codec.ts';

const text = Buffer.from('{"hello":"world","n":12345}\n'.repeat(4000));

function decode(algorithm: Algorithm, data: Buffer): Buffer {
  if (algorithm === Algorithm.Gzip) return zlib.gunzipSync(data);
  if (algorithm === Algorithm.Brotli) return zlib.brotliDecompressSync(data);
  return zlib.zstdDecompressSync(data);
}

function encodeSync(algorithm: Algorithm, data: Buffer): Buffer {
  if (algorithm === Algorithm.Gzip) return zlib.gzipSync(data);
  if (algorithm === Algorithm.Brotli) return zlib.brotliCompressSync(data);
  return zlib.zstdCompressSync(data);
}

const algorithms = [Algorithm.Gzip, Algorithm.Brotli, Algorithm.Zstd].filter(algorithmAvailable);

describe.each(algorithms)('StreamCodec %s', (algorithm) => {
  it('compresses chunk by chunk into one valid stream', async () => {
    const codec = new StreamCodec(algorithm, 'compress', 5);
    const parts: Buffer[] = [];
    for (let off = 0; off < text.length; off += 7000) {
      parts.push(await codec.encode(text.subarray(off, off + 7000), false));
    }
    parts.push(await codec.encode(null, true));
    const compressed = Buffer.concat(parts);
    expect(compressed.length).toBeLessThan(text.length / 10);
    expect(decode(algorithm, compressed).equals(text)).toBe(true);
    const stats = codec.stats();
    expect(stats.bytesIn).toBe(text.length);
    expect(stats.bytesOut).toBe(compressed.length);
  });

  it('decompresses chunk by chunk', async () => {
    const compressed = encodeSync(algorithm, text);
    const codec = new StreamCodec(algorithm, 'decompress');
    const parts: Buffer[] = [];
    for (let off = 0; off < compressed.length; off += 100) {
      parts.push(await codec.encode(compressed.subarray(off, off + 100), false));
    }
    parts.push(await codec.encode(null, true));
    expect(Buffer.concat(parts).equals(text)).toBe(true);
  });

  it('rejects corrupt input with a PingoraError', async () => {
    const codec = new StreamCodec(algorithm, 'decompress');
    // A stream cut in half, deterministically: random bytes are sometimes a valid brotli stream.
    const whole = encodeSync(algorithm, text);
    const result = codec.encode(whole.subarray(0, whole.length >> 1), true);
    await expect(result).rejects.toSatisfy((e: unknown) => PingoraError.is(e));
  });

  it('bounds the output of one chunk (decompression bomb)', async () => {
    const bomb = encodeSync(algorithm, Buffer.alloc(4 * 1024 * 1024));
    const codec = new StreamCodec(algorithm, 'decompress', 6, 1024 * 1024);
    await expect(codec.encode(bomb, true)).rejects.toSatisfy(
      (e: unknown) => PingoraError.is(e) && /exceeds/.test(e.message),
    );
  });
});

describe('StreamCodec misuse', () => {
  it('refuses overlapping calls and calls after the end', async () => {
    const codec = new StreamCodec(Algorithm.Gzip, 'compress');
    const first = codec.encode(text, false);
    await expect(codec.encode(text, false)).rejects.toSatisfy((e: unknown) => PingoraError.is(e));
    await first;
    await codec.encode(null, true);
    await expect(codec.encode(text, false)).rejects.toSatisfy((e: unknown) => PingoraError.is(e));
  });
});
