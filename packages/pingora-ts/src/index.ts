/**
 * pingora-ts: every pingora-ts package in one dependency (mirrors the
 * `pingora` crate). Each package is a namespace (`cache`, `core`, `error`, `http`,
 * `ketama`, `limits`, `lru`, `memoryCache`, `lb` for load-balancing as in
 * Pingora, `pool`, `prometheus`, `proxy`, `tinyufo`, `tlsOpenssl`); the prelude's names
 * are also exported at the top.
 */
export * as cache from '@pingora-ts/cache';
export * as core from '@pingora-ts/core';
export * as error from '@pingora-ts/error';
export * as http from '@pingora-ts/http';
export * as ketama from '@pingora-ts/ketama';
export * as limits from '@pingora-ts/limits';
export * as lru from '@pingora-ts/lru';
export * as memoryCache from '@pingora-ts/memory-cache';
export * as lb from '@pingora-ts/load-balancing';
export * as pool from '@pingora-ts/pool';
export * as prometheus from '@pingora-ts/prometheus';
export * as proxy from '@pingora-ts/proxy';
export * as timeout from '@pingora-ts/timeout';
export * as tinyufo from '@pingora-ts/tinyufo';
export * as tlsOpenssl from '@pingora-ts/tls-openssl';
export * from './prelude.ts';
