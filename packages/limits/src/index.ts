/**
 * @pingora-ts/limits: rate estimation with count-min sketches: Estimator,
 * Rate over sliding intervals, Inflight guards (mirrors pingora-limits).
 */
export { Estimator, type EstimatorOptions, MAX_COUNTERS } from './estimator.ts';
export { Inflight, InflightGuard, type InflightOptions } from './inflight.ts';
export type { Key } from './key-hash.ts';
export { proportionalRate, Rate, type RateComponents, type RateOptions } from './rate.ts';
