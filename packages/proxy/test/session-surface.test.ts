import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { ProxyPhase } from '../src/proxy-phase.ts';
import type { Session } from '../src/session.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

describe('Session: a read-only view of the proxy state for filters', () => {
  it('shows only its public fields; the proxy state is readable, not writable', async () => {
    await using origin = await startOrigin();
    const seen: Record<string, unknown> = {};
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      logging: (s: Session) => {
        seen.keys = Object.keys(s).sort();
        seen.state = [
          s.phase,
          s.retries,
          s.upstreamReused,
          s.upstreamPeer === undefined,
          s.responseBodyBytes,
        ];
        seen.timing = s.upstreamTiming.responseDone !== undefined;
        const writable = s as unknown as Record<string, unknown>;
        for (const field of [
          'retries',
          'phase',
          'upstreamPeer',
          'responseBodyBytes',
          'cacheState',
        ]) {
          try {
            writable[field] = 7;
            seen[field] = 'written';
          } catch (err) {
            seen[field] = (err as Error).name;
          }
        }
        seen.retriesAfter = s.retries;
        seen.internals = [
          'retryBuffer',
          'deadline',
          'activeUpstream',
          'cacheTap',
          'keepForRetry',
        ].filter((name) => name in s);
      },
    };
    await using p = await startProxy(inner);
    const r = await request(p.port, '/x');
    expect(r.status).toBe(200);
    expect(seen.keys).toEqual(['downstream', 'downstreamModules', 'startedAt']);
    expect(seen.state).toEqual([ProxyPhase.Logging, 0, false, false, r.body.length]);
    expect(seen.timing).toBe(true);
    for (const field of ['retries', 'phase', 'upstreamPeer', 'responseBodyBytes', 'cacheState']) {
      expect(seen[field]).toBe('TypeError');
    }
    expect(seen.retriesAfter).toBe(0);
    expect(seen.internals).toEqual([]);
  });
});
