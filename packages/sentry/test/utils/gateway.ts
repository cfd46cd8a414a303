/**
 * A gateway for the Sentry tests: a Server built from YAML text (so the
 * `sentry` section is read as in production), setupSentry, and an
 * HttpProxy through httpProxyService to `upstream`.
 */
import { HttpPeer, type RunningServer, Server } from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { pino } from 'pino';
import { type SentryHandle, setupSentry } from '../../src/setup-sentry.ts';

export interface Gateway extends AsyncDisposable {
  readonly port: number;
  readonly sentry: SentryHandle | undefined;
  readonly run: RunningServer;
}

export async function startGateway(
  yaml: string,
  upstream: string,
  extra: Partial<ProxyHttp<null>> = {},
): Promise<Gateway> {
  const server = new Server({ confText: yaml, logger: pino({ level: 'silent' }) });
  const sentry = await setupSentry(server);
  const inner: ProxyHttp<null> = {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(upstream),
    ...extra,
  };
  const service = httpProxyService(server, inner);
  service.addTcp('127.0.0.1:0');
  server.addService(service);
  const run = server.run();
  const [bound] = await service.listening;
  if (bound === undefined || bound.kind !== 'inet') throw new Error('gateway not listening');
  return {
    port: bound.port,
    sentry,
    run,
    async [Symbol.asyncDispose]() {
      await run.shutdown({ graceful: false });
      await sentry?.close(1000);
    },
  };
}
