/**
 * The W3C Trace Context codec: every valid traceparent round-trips through
 * extract and format, tracestate is kept (or dropped when oversized), and
 * anything malformed (bad hex, zero ids, version ff, extra fields on version
 * 00, wrong lengths) starts a new trace instead of being trusted.
 */
import { createTraceState, TraceFlags } from '@opentelemetry/api';
import { RequestHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
} from '../src/trace-context.ts';

function request(headers: Record<string, string>): RequestHeader {
  const req = RequestHeader.build('GET', '/');
  for (const [k, v] of Object.entries(headers)) req.appendHeader(k, v);
  return req;
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: n, maxLength: n });

describe('W3C trace context', () => {
  it('round-trips every valid traceparent', () => {
    fc.assert(
      fc.property(
        hex(32).filter((t) => !/^0+$/.test(t)),
        hex(16).filter((s) => !/^0+$/.test(s)),
        fc.boolean(),
        (traceId, spanId, sampled) => {
          const header = `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
          const ctx = extractTraceContext(request({ traceparent: header }));
          expect(ctx).toMatchObject({ traceId, spanId, isRemote: true });
          expect(ctx?.traceFlags).toBe(sampled ? TraceFlags.SAMPLED : TraceFlags.NONE);
          expect(formatTraceparent(ctx as NonNullable<typeof ctx>)).toBe(header);
        },
      ),
    );
  });

  it('refuses malformed traceparents', () => {
    const t = '4bf92f3577b34da6a3ce929d0e0e4736';
    const s = '00f067aa0ba902b7';
    for (const bad of [
      `00-${'0'.repeat(32)}-${s}-01`,
      `00-${t}-${'0'.repeat(16)}-01`,
      `ff-${t}-${s}-01`,
      `00-${t}-${s}-01-extra`,
      `00-${t.toUpperCase()}-${s}-01`,
      `00-${t.slice(1)}-${s}-01`,
      `00-${t}-${s}`,
      'garbage',
    ]) {
      expect(extractTraceContext(request({ traceparent: bad })), bad).toBeUndefined();
    }
    // A later version may carry more fields: accepted.
    expect(extractTraceContext(request({ traceparent: `01-${t}-${s}-01-more` }))?.traceId).toBe(t);
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (junk) => {
        const ctx = extractTraceContext(request({ traceparent: junk.replace(/[\r\n\0]/g, '') }));
        if (ctx !== undefined) {
          expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(ctx.traceId).not.toBe('0'.repeat(32));
        }
      }),
    );
  });

  it('keeps tracestate (all its lines), drops an oversized one, and injects both headers', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const req = request({ traceparent: tp, tracestate: 'a=1' });
    req.appendHeader('tracestate', 'b=2');
    expect(extractTraceContext(req)?.traceState?.serialize()).toBe('a=1,b=2');
    const big = `k=${'v'.repeat(9000)}`;
    expect(
      extractTraceContext(request({ traceparent: tp, tracestate: big }))?.traceState,
    ).toBeUndefined();
    const out = request({ tracestate: 'stale=1' });
    injectTraceContext(out, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '1111111111111111',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('x=9'),
    });
    expect(out.getHeader('traceparent')).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
    );
    expect(out.getAll('tracestate')).toEqual(['x=9']);
  });
});
