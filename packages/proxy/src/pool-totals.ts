/**
 * The upstream pool's totals, logged once when a proxy service stops: new
 * connections, connections reused from the pool and the reuse ratio, with
 * the server thread they belong to (`threads: N` gives each thread its own
 * pool, so this is where an operator sees each thread's reuse).
 */
import { threadId } from 'node:worker_threads';
import type { ConnectorStats } from '@pingora-ts/core/diagnostics';
import type { ProxyLogger } from './failure-log.ts';
import type { UpstreamConnector } from './upstream-connector.ts';

export function logPoolTotals(connector: UpstreamConnector, logger: ProxyLogger | undefined): void {
  const stats = (connector as { stats?: ConnectorStats }).stats;
  if (logger?.info === undefined || stats === undefined) return;
  const total = stats.newConnections + stats.reusedConnections;
  if (total === 0) return;
  logger.info(
    {
      thread: threadId,
      newConnections: stats.newConnections,
      reusedConnections: stats.reusedConnections,
      reuseRatio: Number((stats.reusedConnections / total).toFixed(6)),
    },
    'upstream pool totals',
  );
}
