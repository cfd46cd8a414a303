/**
 * @pingora-ts/limits: Rate estimation: count-min sketch, sliding rate, inflight guards (mirrors pingora-limits).
 */
export {};
