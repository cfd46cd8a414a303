/**
 * @pingora-ts/ketama: A Ketama consistent-hash continuum compatible with nginx (mirrors pingora-ketama).
 */
export {};
