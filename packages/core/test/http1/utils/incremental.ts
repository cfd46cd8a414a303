/**
 * Drives the HTTP/1 head parser and body decoder over a sequence of chunks
 * the way sessions do (InputBuffer, resume from the head start, body ranges
 * consumed in place), so properties can compare a split parse with a whole one.
 */
import { BODY_ERROR, BodyDecoder } from '../../../src/protocols/http/v1/body-decoder.ts';
import {
  HeadMode,
  HeadParser,
  NEED_MORE,
  PARSE_ERROR,
} from '../../../src/protocols/http/v1/head-parser.ts';
import { InputBuffer } from '../../../src/protocols/http/v1/input-buffer.ts';
import { BodyKind, HeadFacts } from '../../../src/protocols/http/v1/message-framing.ts';

export interface Parsed {
  method: string;
  target: string;
  status: number;
  reason: string;
  minor: number;
  fields: string[];
  body: string;
  trailers: string[] | undefined;
  error: string;
}

export function parseChunks(chunks: readonly Buffer[], mode: 0 | 1 = HeadMode.Request): Parsed {
  const input = new InputBuffer();
  const parser = new HeadParser(mode);
  const decoder = new BodyDecoder();
  const out: Parsed = {
    method: '',
    target: '',
    status: 0,
    reason: '',
    minor: 0,
    fields: [],
    body: '',
    trailers: undefined,
    error: '',
  };
  let inBody = false;
  const body: Buffer[] = [];
  for (const chunk of chunks) {
    input.append(chunk);
    if (!inBody) {
      const r = parser.feed(input.buf, input.start, input.end);
      if (r === PARSE_ERROR) return { ...out, error: `${parser.errorStatus} ${parser.errorText}` };
      if (r === NEED_MORE) continue;
      input.consumeTo(r);
      Object.assign(out, {
        method: parser.method,
        target: parser.target,
        status: parser.status,
        reason: parser.reason,
        minor: parser.minor,
        fields: parser.names.flatMap((n, i) => [n, parser.values[i]!]),
      });
      const facts = new HeadFacts();
      facts.scan(parser.names, parser.values);
      if (facts.error !== '') return { ...out, error: facts.error };
      if (facts.chunked) decoder.start(BodyKind.Chunked);
      else decoder.start(BodyKind.Length, Math.max(facts.contentLength, 0));
      inBody = true;
    }
    while (!decoder.done && input.length > 0) {
      const from = input.start;
      const r = decoder.step(input.buf, from, input.end);
      if (r === BODY_ERROR) return { ...out, error: decoder.error };
      if (decoder.dataEnd > decoder.dataStart) {
        body.push(Buffer.from(input.buf.subarray(decoder.dataStart, decoder.dataEnd)));
      }
      if (r === from && !decoder.done) break;
      input.consumeTo(r);
    }
  }
  if (!inBody || !decoder.done) return { ...out, error: 'incomplete' };
  out.body = Buffer.concat(body).toString('latin1');
  out.trailers = decoder.trailers;
  return out;
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted, deduplicated). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % bytes.length))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}
