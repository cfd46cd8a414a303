/**
 * DNS discovery: backends from A and/or AAAA records of a name (with a fixed
 * port), or from SRV records (port and weight per target, lowest priority
 * only). Re-resolved on every update (refreshIntervalMs by default); when a
 * lookup fails or comes back empty, the last good set is kept and the failure
 * is logged once until a lookup succeeds again.
 */

import type { SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { Backend, MAX_BACKEND_WEIGHT } from '../backend.ts';
import { type LbLogger, silentLogger } from '../logger.ts';
import type { Discovered, ServiceDiscovery } from './service-discovery.ts';

/** The part of node:dns/promises' Resolver this discovery uses; inject one in tests. */
export interface DnsResolver {
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
}

export type DnsAddressFamilies = 'A' | 'AAAA' | 'A+AAAA';

export interface DnsDiscoveryOptions {
  /** The name to resolve, e.g. `api.internal` or `_http._tcp.api.internal` for SRV. */
  name: string;
  /** Which records name the backends. Default 'A'. */
  type?: DnsAddressFamilies | 'SRV';
  /** Port of every backend; required unless type is SRV. */
  port?: number;
  /** Weight of every A/AAAA backend (SRV records carry their own). Default 1. */
  weight?: number;
  /** Which addresses of SRV targets to use. Default 'A'. */
  srvTargetFamilies?: DnsAddressFamilies;
  /** Resolver to ask; default a node:dns Resolver using `servers` or the system's. */
  resolver?: DnsResolver;
  /** DNS servers (`ip` or `ip:port`) for the default resolver. */
  servers?: string[];
  /** Time limit of one lookup, in milliseconds. Default 2000. */
  timeoutMs?: number;
  /** How often to re-resolve when LoadBalancer has no updateFrequency. Default 30000. */
  refreshIntervalMs?: number;
  /** Most backends taken from one answer. Default 256. */
  maxBackends?: number;
  logger?: LbLogger;
}

export class DnsDiscovery implements ServiceDiscovery {
  readonly refreshIntervalMs: number;
  readonly #name: string;
  readonly #type: DnsAddressFamilies | 'SRV';
  readonly #port: number;
  readonly #weight: number;
  readonly #srvFamilies: DnsAddressFamilies;
  readonly #resolver: DnsResolver;
  readonly #timeoutMs: number;
  readonly #maxBackends: number;
  readonly #logger: LbLogger;
  #lastGood: readonly Backend[] | undefined;
  #failing = false;

  constructor(options: DnsDiscoveryOptions) {
    if (typeof options.name !== 'string' || options.name === '' || options.name.length > 253) {
      throw config(`invalid DNS name ${JSON.stringify(options.name)}`);
    }
    this.#name = options.name;
    this.#type = options.type ?? 'A';
    if (!['A', 'AAAA', 'A+AAAA', 'SRV'].includes(this.#type)) {
      throw config(`invalid DNS record type ${JSON.stringify(this.#type)}`);
    }
    const port = options.port ?? 0;
    if (this.#type !== 'SRV' && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw config(`DNS discovery of ${this.#name} needs a port from 1 to 65535`);
    }
    this.#port = port;
    this.#weight = options.weight ?? 1;
    this.#srvFamilies = options.srvTargetFamilies ?? 'A';
    this.#timeoutMs = positive(options.timeoutMs ?? 2000, 'timeoutMs');
    this.refreshIntervalMs = positive(options.refreshIntervalMs ?? 30_000, 'refreshIntervalMs');
    this.#maxBackends = positive(options.maxBackends ?? 256, 'maxBackends');
    this.#logger = options.logger ?? silentLogger;
    this.#resolver = options.resolver ?? defaultResolver(options.servers, this.#timeoutMs);
  }

  async discover(): Promise<Discovered> {
    let backends: Backend[];
    try {
      backends = this.#type === 'SRV' ? await this.#fromSrv() : await this.#fromAddresses();
      if (backends.length === 0) {
        throw PingoraError.create(
          ErrorType.ConnectNoRoute,
          ErrorSource.Internal,
          `DNS ${this.#type} lookup of ${this.#name} found no backends`,
        );
      }
    } catch (err) {
      const error = toPingoraError(err, {
        phase: 'connect',
        context: `DNS discovery of ${this.#name}`,
      });
      if (this.#lastGood === undefined) throw error;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn(
          { name: this.#name, err: error.message },
          `DNS discovery of ${this.#name} failed; keeping the last ${this.#lastGood.length} backends`,
        );
      }
      return { backends: this.#lastGood };
    }
    if (this.#failing) {
      this.#failing = false;
      this.#logger.info({ name: this.#name }, `DNS discovery of ${this.#name} recovered`);
    }
    this.#lastGood = backends;
    return { backends };
  }

  async #fromAddresses(): Promise<Backend[]> {
    const ips = await this.#addresses(this.#name, this.#type as DnsAddressFamilies);
    return ips.slice(0, this.#maxBackends).map((ip) => backendAt(ip, this.#port, this.#weight));
  }

  async #fromSrv(): Promise<Backend[]> {
    const records = await this.#lookup(this.#resolver.resolveSrv(this.#name), `SRV ${this.#name}`);
    // RFC 2782: "." as target means the service is not offered; only the lowest priority is used.
    const usable = records.filter((r) => r.name !== '' && r.name !== '.');
    if (usable.length === 0) return [];
    let lowest = Number.POSITIVE_INFINITY;
    for (const r of usable) lowest = Math.min(lowest, r.priority);
    const chosen = usable.filter((r) => r.priority === lowest).slice(0, this.#maxBackends);
    const perTarget = await Promise.all(
      chosen.map(async (r) => {
        const ips = isIP(r.name)
          ? [r.name]
          : await this.#addresses(r.name, this.#srvFamilies).catch(() => []);
        // SRV weight 0 means "rarely"; 1 is the least a backend can have here.
        const weight = Math.min(MAX_BACKEND_WEIGHT, Math.max(1, r.weight));
        return ips.map((ip) => backendAt(ip, r.port, weight));
      }),
    );
    return perTarget.flat().slice(0, this.#maxBackends);
  }

  /** A and/or AAAA addresses of `name`; with both, one family may be empty. */
  async #addresses(name: string, families: DnsAddressFamilies): Promise<string[]> {
    if (families === 'A') return this.#lookup(this.#resolver.resolve4(name), `A ${name}`);
    if (families === 'AAAA') return this.#lookup(this.#resolver.resolve6(name), `AAAA ${name}`);
    const [v4, v6] = await Promise.allSettled([
      this.#lookup(this.#resolver.resolve4(name), `A ${name}`),
      this.#lookup(this.#resolver.resolve6(name), `AAAA ${name}`),
    ]);
    if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
    return [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : []),
    ];
  }

  /** Bounds any resolver (an injected one may not time out by itself). */
  #lookup<T>(query: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            PingoraError.create(
              ErrorType.ConnectTimedout,
              ErrorSource.Internal,
              `DNS lookup ${what} timed out after ${this.#timeoutMs}ms`,
            ),
          ),
        this.#timeoutMs,
      );
      query.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(toPingoraError(err, { phase: 'connect', context: `DNS lookup ${what}` }));
        },
      );
    });
  }
}

function backendAt(ip: string, port: number, weight: number): Backend {
  const family = isIP(ip);
  if ((family !== 4 && family !== 6) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw config(`DNS answer holds an unusable address ${JSON.stringify(ip)} port ${String(port)}`);
  }
  return new Backend({ kind: 'inet', family, address: ip, port }, { weight });
}

function defaultResolver(servers: string[] | undefined, timeoutMs: number): DnsResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers !== undefined) {
    try {
      resolver.setServers(servers);
    } catch (cause) {
      throw PingoraError.because(
        ErrorType.ConfigError,
        `invalid DNS servers ${JSON.stringify(servers)}`,
        cause,
      );
    }
  }
  return resolver;
}

function config(message: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, message);
}

function positive(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw config(`DNS discovery ${what} must be a positive integer`);
  return value;
}
