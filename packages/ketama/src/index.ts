/**
 * @pingora-ts/ketama: a Ketama consistent-hash continuum that picks the same
 * server as nginx's `hash $key consistent` (mirrors pingora-ketama).
 */
export {
  type Bucket,
  MAX_NODES,
  MAX_POINTS,
  POINTS_PER_WEIGHT,
  splitHostPort,
} from './bucket.ts';
export { Continuum, type HashKey } from './continuum.ts';
