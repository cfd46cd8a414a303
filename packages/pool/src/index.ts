/**
 * @pingora-ts/pool: A bounded LRU pool of idle connections keyed by peer (mirrors pingora-pool).
 */
export {};
