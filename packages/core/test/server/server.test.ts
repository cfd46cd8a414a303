/**
 * The Server in-process: phases, service dependencies (order observed, cycle
 * and missing dependency refused), background services, startup failure,
 * fast and graceful shutdown of a run.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import type { PhaseEvent, ServiceEvent } from '../../src/diagnostics.ts';
import {
  backgroundService,
  ExecutionPhase,
  ListeningService,
  Server,
  type Service,
  type ServiceContext,
} from '../../src/index.ts';
import { quietLogger } from './utils/quiet.ts';

function newServer(conf: ConstructorParameters<typeof Server>[0] = {}): Server {
  return new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds: 5, gracefulShutdownTimeoutSeconds: 1 },
    ...conf,
  });
}

/** A service that records its life in `log` and reports ready after `readyAfterMs`. */
function recorder(name: string, log: string[], readyAfterMs = 0): Service {
  return {
    name,
    async start(ctx: ServiceContext) {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, readyAfterMs));
      log.push(`ready ${name}`);
      ctx.ready();
      await new Promise<void>((r) =>
        ctx.shutdown.addEventListener('abort', () => r(), { once: true }),
      );
      log.push(`stop ${name}`);
    },
  };
}

function configErrorOf(fn: () => unknown): PingoraError {
  try {
    fn();
  } catch (err) {
    if (PingoraError.is(err)) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('Server', () => {
  it('goes through the phases in order and publishes them', async () => {
    const server = newServer();
    const seen: string[] = [];
    const published: string[] = [];
    const onPhase = (msg: unknown) => published.push((msg as PhaseEvent).phase);
    const services: string[] = [];
    const onService = (msg: unknown) => {
      const e = msg as ServiceEvent;
      services.push(`${e.service} ${e.state}`);
    };
    subscribe('pingora-ts:core:phase', onPhase);
    subscribe('pingora-ts:core:service', onService);
    try {
      server.onPhase((p) => seen.push(p));
      expect(server.phase).toBe(ExecutionPhase.Setup);
      server.addService(recorder('a', []));
      server.bootstrap();
      const run = server.run();
      await run.ready;
      await run.shutdown();
      await run.done;
    } finally {
      unsubscribe('pingora-ts:core:phase', onPhase);
      unsubscribe('pingora-ts:core:service', onService);
    }
    expect(services).toEqual(['a starting', 'a ready', 'a stopped']);
    const expected = [
      'Bootstrap',
      'BootstrapComplete',
      'Running',
      'GracefulTerminate',
      'ShutdownStarted',
      'ShutdownGracePeriod',
      'ShutdownRuntimes',
      'Terminated',
    ];
    expect(seen).toEqual(expected);
    expect(published).toEqual(expected);
    expect(server.phase).toBe(ExecutionPhase.Terminated);
  });

  it('starts a service only after its dependencies report ready', async () => {
    const server = newServer();
    const log: string[] = [];
    // Added first but depends on both others: starts last.
    server.addService(recorder('api', log), { dependsOn: ['db', 'cache'] });
    server.addService(recorder('db', log, 150));
    server.addService(recorder('cache', log, 50));
    const run = server.run();
    await run.ready;
    expect(log.indexOf('start api')).toBeGreaterThan(log.indexOf('ready db'));
    expect(log.indexOf('start api')).toBeGreaterThan(log.indexOf('ready cache'));
    await run.shutdown();
    expect(log).toContain('stop api');
  });

  it('declares dependencies through handles as well as names', async () => {
    const server = newServer();
    const log: string[] = [];
    const db = server.addService(recorder('db', log, 100));
    const cache = server.addService(recorder('cache', log));
    server.addService(recorder('web', log), { dependsOn: [db] }).addDependency(cache);
    const run = server.run();
    await run.ready;
    expect(log.indexOf('start web')).toBeGreaterThan(log.indexOf('ready db'));
    await run.shutdown({ graceful: false });
  });

  it('refuses a cycle at bootstrap, naming the services', () => {
    const server = newServer();
    const a = server.addService(recorder('a', []));
    const b = server.addService(recorder('b', []), { dependsOn: [a] });
    server.addService(recorder('c', []), { dependsOn: [b] });
    a.addDependency('c');
    const err = configErrorOf(() => server.bootstrap());
    expect(err.type).toBe(ErrorType.ConfigError);
    expect(err.context).toBe('circular service dependency: a -> c -> b -> a');
  });

  it('refuses a missing dependency and a duplicate name', () => {
    const server = newServer();
    server.addService(recorder('a', []), { dependsOn: ['nope'] });
    expect(configErrorOf(() => server.bootstrap()).context).toBe(
      'service "a" depends on "nope", which is not a service of this server',
    );
    expect(configErrorOf(() => server.addService(recorder('a', []))).context).toMatch(
      /a service named "a" was already added/,
    );
  });

  it('runs background services until shutdown, which reaches them as an AbortSignal', async () => {
    const server = newServer();
    let ticks = 0;
    let sawAbort = false;
    server.addService(
      backgroundService({
        name: 'ticker',
        async start(shutdown) {
          while (!shutdown.aborted && ticks < 10_000) {
            ticks++;
            await new Promise((r) => setTimeout(r, 5));
          }
          sawAbort = shutdown.aborted;
        },
      }),
    );
    const run = server.run();
    await run.ready;
    await new Promise((r) => setTimeout(r, 50));
    await run.shutdown();
    expect(ticks).toBeGreaterThan(0);
    expect(sawAbort).toBe(true);
  });

  it('a service that fails to start fails `ready`, skips its dependents and terminates the run', async () => {
    const server = newServer();
    const log: string[] = [];
    server.addService({
      name: 'broken',
      async start() {
        throw PingoraError.explain(ErrorType.BindError, 'no port for you');
      },
    });
    server.addService(recorder('dependent', log), { dependsOn: ['broken'] });
    const run = server.run();
    await expect(run.ready).rejects.toMatchObject({ type: ErrorType.BindError });
    await run.done;
    expect(log).toEqual([]);
    expect(server.phase).toBe(ExecutionPhase.Terminated);
  });

  it('a fast shutdown skips the grace period; one requested during a graceful shutdown cuts it short', async () => {
    const server = newServer({
      conf: { gracePeriodSeconds: 60, gracefulShutdownTimeoutSeconds: 60 },
    });
    const seen: string[] = [];
    server.onPhase((p) => seen.push(p));
    let terminated = false;
    server.addService({
      name: 'stubborn',
      async start(ctx) {
        ctx.ready();
        // Ignores shutdown: only terminate ends it.
        await new Promise<void>((r) =>
          ctx.terminate.addEventListener('abort', () => r(), { once: true }),
        );
        terminated = true;
      },
    });
    const run = server.run();
    await run.ready;
    const began = Date.now();
    void run.shutdown();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.phase).toBe(ExecutionPhase.ShutdownGracePeriod);
    await run.shutdown({ graceful: false });
    expect(terminated).toBe(true);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(seen.slice(-3)).toEqual(['ShutdownGracePeriod', 'ShutdownRuntimes', 'Terminated']);
  });

  it('a graceful shutdown ends early once nothing is in flight', async () => {
    const server = newServer({ conf: { gracePeriodSeconds: 60 } });
    const service = new ListeningService('l', { processNewConnection: () => {} }).addTcp(
      '127.0.0.1:0',
    );
    server.addService(service);
    const run = server.run();
    await run.ready;
    const began = Date.now();
    await run.shutdown();
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('reads app settings from confText and refuses adding services while running', async () => {
    const server = new Server({ logger: quietLogger, confText: 'version: 1\nmax_retries: 2\n' });
    expect(server.configuration.maxRetries).toBe(2);
    const early = server.addService(recorder('early', []));
    const run = server.run();
    expect(() => server.addService(recorder('late', []))).toThrow(/the server is running/);
    expect(() => early.addDependency('x')).toThrow(/cannot add a dependency to "early"/);
    await run.shutdown({ graceful: false });
  });
});

describe('Server logging', () => {
  it('writes JSON lines naming the service to error_log; an unopenable error_log is a FileOpenError', async () => {
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-log-'));
    try {
      const errorLog = join(dir, 'logs', 'error.log');
      const server = new Server({ conf: { errorLog, gracePeriodSeconds: 1 } });
      server.addService(recorder('worker', []));
      const run = server.run();
      await run.ready;
      await run.shutdown();
      const lines = readFileSync(errorLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(typeof line.service).toBe('string');
      expect(lines.some((l) => l.service === 'worker' && l.msg === 'service ready')).toBe(true);
      const blocker = join(dir, 'file');
      writeFileSync(blocker, '');
      expect(() => new Server({ conf: { errorLog: join(blocker, 'x.log') } })).toThrow(
        /FileOpenError.*cannot open error_log/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
