import { DEFAULT_SERVER_CONF, type ServiceContext } from '@pingora-ts/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { demoOriginService, startDemoOrigin } from '../src/index.ts';

function context(shutdown: AbortSignal): { ctx: ServiceContext; readyCalls: () => number } {
  let ready = 0;
  const ctx: ServiceContext = {
    shutdown,
    terminate: new AbortController().signal,
    ready: () => {
      ready++;
    },
    logger: pino({ level: 'silent' }),
    conf: DEFAULT_SERVER_CONF,
  };
  return { ctx, readyCalls: () => ready };
}

describe('demoOriginService', () => {
  it('is ready at once, keeps the origins serving until shutdown, then closes them', async () => {
    const a = await startDemoOrigin('origin-a', 'text/plain');
    const b = await startDemoOrigin('origin-b', 'text/plain');
    const service = demoOriginService([a, b]);
    expect(service.name).toBe('demo_origins');
    const stop = new AbortController();
    const { ctx, readyCalls } = context(stop.signal);
    let finished = false;
    const running = service.start(ctx).then(() => {
      finished = true;
    });
    expect(readyCalls()).toBe(1);
    expect((await fetch(`http://${a.address}/`)).status).toBe(200);
    expect((await fetch(`http://${b.address}/`)).status).toBe(200);
    expect(finished).toBe(false);

    stop.abort();
    await running;
    await expect(fetch(`http://${a.address}/`)).rejects.toThrow();
    await expect(fetch(`http://${b.address}/`)).rejects.toThrow();
  });

  it('closes at once when the server is already shutting down, under the name given', async () => {
    const a = await startDemoOrigin('origin-a', 'text/plain');
    const service = demoOriginService([a], 'demo_origin');
    expect(service.name).toBe('demo_origin');
    const { ctx } = context(AbortSignal.abort());
    await service.start(ctx);
    await expect(fetch(`http://${a.address}/`)).rejects.toThrow();
  });
});
