/**
 * @pingora-ts/pool: a bounded LRU pool of idle connections keyed by peer
 * (mirrors pingora-pool). Generic over the connection type.
 */
export {
  ConnectionPool,
  type ConnectionPoolOptions,
  type PoolStats,
  type PutOptions,
} from './connection-pool.ts';
export type { IdleEntry, IdleGoneReason, IdleWatch, PoolDropReason } from './idle-watch.ts';
