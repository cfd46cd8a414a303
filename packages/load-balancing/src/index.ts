/**
 * @pingora-ts/load-balancing: Backends, discovery, selection algorithms and health checks (mirrors pingora-load-balancing).
 */
export {};
