/**
 * What the runner knows about a proxy under test: an adapter per peer (in
 * peers/) says how to start it given the origin's address and a listen port,
 * and how to stop it. The runner owns everything else (ports, pinning,
 * measuring), so adding a row is adding one adapter file.
 */
import type { Child } from './children.ts';
import type { Tool } from './tools.ts';

export const PeerKind = {
  /** Our gateway, the subject of the ratios. */
  Ours: 'ours',
  /** nginx, HAProxy: the native proxies we compare against. */
  Native: 'native',
  /** HTTP proxies users build on Node today; "the best Node peer" is the fastest of these. */
  NodeProxy: 'node-proxy',
  /** A raw TCP relay in Node: the practical ceiling of a Node process, not an HTTP proxy. */
  Ceiling: 'ceiling',
  /** Caching proxies answering from their cache (the cache section: ours and nginx proxy_cache). */
  Cache: 'cache',
} as const;
export type PeerKind = (typeof PeerKind)[keyof typeof PeerKind];

export interface PeerContext {
  readonly originHost: string;
  readonly originPort: number;
  /** Port the peer must listen on, on 127.0.0.1. */
  readonly port: number;
  /** A fresh directory for this start's config and logs. */
  readonly dir: string;
  /** CPU list to pin the peer to (taskset), undefined for no pinning. */
  readonly cpu: string | undefined;
  /** Extra Node flags for Node-based peers (--node-flags, CPU profiling); empty otherwise. */
  readonly nodeArgs: readonly string[];
  /** Keep-alive connections the load generator uses (pool sizes follow it). */
  readonly connections: number;
}

export interface Peer {
  readonly name: string;
  readonly kind: PeerKind;
  /** How it is set up, for the report (one short line). */
  readonly setup: string;
  /** Native tools it needs installed. */
  readonly tools: readonly Tool[];
  /** True when it runs on Node (and so can be CPU-profiled). */
  readonly node: boolean;
  /** Why it cannot run here (e.g. not built yet), or undefined when it can. */
  unavailable(): string | undefined;
  /** One-time work before the first start (a build); may throw. */
  prepare?(): void;
  /** Starts one instance; the runner waits for `ctx.port` to accept connections. */
  start(ctx: PeerContext): Child;
  /** Stops an instance started by `start`. */
  stop(child: Child, ctx: PeerContext): Promise<void>;
}
