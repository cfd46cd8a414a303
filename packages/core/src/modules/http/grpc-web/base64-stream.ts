/**
 * Streaming base64 for gRPC-web-text bodies: input split anywhere is
 * decoded in whole 4-character quanta (a padded quantum may end one
 * message and another start after it, which Node's decoder would stop at),
 * and output is encoded in whole 3-byte groups with padding only at the end.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a base64 stream piece by piece. */
export class Base64Decoder {
  #carry = '';

  /** Bytes decodable from what arrived so far; a partial quantum waits for the next piece. */
  push(chunk: Buffer): Buffer {
    const text = this.#carry + chunk.toString('latin1').replace(/[\r\n]/g, '');
    const whole = text.length - (text.length % 4);
    this.#carry = text.slice(whole);
    if (whole === 0) return Buffer.alloc(0);
    const body = text.slice(0, whole);
    if (!body.includes('=')) return decodeChecked(body);
    const parts: Buffer[] = [];
    for (let i = 0; i < whole; i += 4) parts.push(decodeChecked(body.slice(i, i + 4)));
    return Buffer.concat(parts);
  }

  /** The end of the stream: a partial quantum left over is malformed. */
  end(): void {
    if (this.#carry !== '') throw malformed('truncated base64 body');
  }
}

function decodeChecked(text: string): Buffer {
  if (!BASE64.test(text) || /=[^=]/.test(text)) throw malformed('invalid base64 body');
  return Buffer.from(text, 'base64');
}

function malformed(why: string): PingoraError {
  return PingoraError.create(ErrorType.InvalidHTTPHeader, ErrorSource.Downstream, why);
}

/** Encodes a byte stream as one base64 text, piece by piece. */
export class Base64Encoder {
  #carry: Buffer = Buffer.alloc(0);

  /** The base64 of the whole 3-byte groups so far; 1-2 bytes wait for more (or for `end`). */
  push(chunk: Buffer): Buffer {
    const bytes = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    const whole = bytes.length - (bytes.length % 3);
    this.#carry = Buffer.from(bytes.subarray(whole));
    return Buffer.from(bytes.subarray(0, whole).toString('base64'), 'latin1');
  }

  /** The rest, padded. */
  end(): Buffer {
    const rest = this.#carry;
    this.#carry = Buffer.alloc(0);
    return Buffer.from(rest.toString('base64'), 'latin1');
  }
}
