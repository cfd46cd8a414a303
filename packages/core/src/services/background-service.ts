/**
 * Background services (Pingora's BackgroundService): work that runs beside
 * the listeners until shutdown, such as health checks or a cache purger. The
 * wrapper makes one a Service that is ready as soon as it starts, as in
 * Pingora; a service that must report readiness implements Service itself.
 */
import type { Service, ServiceContext } from './service.ts';

export interface BackgroundService {
  /** Unique within a server; shown in logs and errors. */
  readonly name: string;
  /** Runs until `shutdown` aborts, then resolves. */
  start(shutdown: AbortSignal): Promise<void>;
}

/** `task` as a Service, ready as soon as it starts. */
export function backgroundService(task: BackgroundService): Service {
  return {
    name: task.name,
    async start(ctx: ServiceContext): Promise<void> {
      ctx.ready();
      await task.start(ctx.shutdown);
    },
  };
}
