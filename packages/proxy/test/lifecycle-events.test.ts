/**
 * The lifecycle diagnostics_channel events: in order per request (start,
 * one attempt-start/attempt-end pair per upstream attempt with the failed
 * ones carrying their error, the mutable upstream request head, the failure,
 * the end), and headers added by a subscriber reach the upstream.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { HttpPeer } from '@pingora-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AttemptEndEvent,
  type AttemptStartEvent,
  proxyLifecycleChannels,
  type UpstreamRequestEvent,
} from '../src/lifecycle-events.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

const subscriptions: Array<[string, (m: unknown) => void]> = [];
function on(name: keyof typeof proxyLifecycleChannels, fn: (m: unknown) => void): void {
  const channel = proxyLifecycleChannels[name].name as string;
  subscribe(channel, fn);
  subscriptions.push([channel, fn]);
}
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) unsubscribe(name, fn);
});

describe('proxy lifecycle events', () => {
  it('publishes start, attempts (failed one with its error), upstream request and end in order', async () => {
    await using origin = await startOrigin();
    const dead = await startOrigin();
    const deadAddress = dead.address;
    await dead.close();
    const seen: string[] = [];
    on('requestStart', () => seen.push('start'));
    on('attemptStart', (m) => {
      const e = m as AttemptStartEvent;
      seen.push(`attempt-start ${e.attempt} ${e.peer.address.kind}`);
    });
    on('upstreamRequest', (m) => {
      const e = m as UpstreamRequestEvent;
      e.request.insertHeader('X-Trace', 'added-by-subscriber');
      seen.push('upstream-request');
    });
    on('attemptEnd', (m) => {
      const e = m as AttemptEndEvent;
      seen.push(`attempt-end ${e.error?.type ?? 'ok'}`);
    });
    on('failure', () => seen.push('failure'));
    on('requestEnd', (m) => seen.push(`end ${(m as { error?: unknown }).error ? 'error' : 'ok'}`));
    let calls = 0;
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(calls++ === 0 ? deadAddress : origin.address),
      failToConnect: (_s, _p, _c, e) => e.withRetry(true),
    };
    await using p = await startProxy(inner);
    expect((await request(p.port, '/')).status).toBe(200);
    expect(seen).toEqual([
      'start',
      'attempt-start 0 inet',
      'attempt-end ConnectRefused',
      'attempt-start 1 inet',
      'upstream-request',
      'attempt-end ok',
      'end ok',
    ]);
    const raw = origin.requests[0]?.rawHeaders ?? [];
    expect(raw[raw.indexOf('X-Trace') + 1]).toBe('added-by-subscriber');
  });

  it('publishes the failure before the error answer', async () => {
    const dead = await startOrigin();
    const deadAddress = dead.address;
    await dead.close();
    const seen: string[] = [];
    on('failure', (m) => seen.push(`failure ${(m as { error: { type: string } }).error.type}`));
    on('requestEnd', () => seen.push('end'));
    await using p = await startProxy({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(deadAddress),
    });
    expect((await request(p.port, '/')).status).toBe(502);
    expect(seen).toEqual(['failure ConnectRefused', 'end']);
  });
});
