/**
 * @pingora-ts/cache/testing: the Storage conformance suite every storage
 * runs (memory here; a Redis or disk storage in its own package runs the
 * same), so all storages agree on visibility, purge, meta updates, variants
 * and streaming partial writes. Needs vitest.
 */
export { type StorageConformanceOptions, storageConformance } from './storage-conformance.ts';
