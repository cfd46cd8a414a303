/**
 * Redis metrics from @pingora-ts/redis's events: connection state changes
 * and whether each client is up now (`pingora-ts:redis:state`), failed
 * commands (`:command-error`), cache operations and locks that bypassed Redis
 * (`:cache-bypass`) and limiter checks answered by the fail mode
 * (`:limiter-fallback`). Subscribed by name, read structurally (no dependency
 * on the redis package); labels from fixed sets or bounded tables.
 */
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

export const REDIS_STATE_CHANNEL = 'pingora-ts:redis:state';
export const REDIS_COMMAND_ERROR_CHANNEL = 'pingora-ts:redis:command-error';
export const REDIS_CACHE_BYPASS_CHANNEL = 'pingora-ts:redis:cache-bypass';
export const REDIS_LIMITER_FALLBACK_CHANNEL = 'pingora-ts:redis:limiter-fallback';

const STATES: ReadonlySet<string> = new Set(['ready', 'down', 'reconnecting']);
const COMMANDS: ReadonlySet<string> = new Set(['EVALSHA', 'EVAL', 'GET', 'GETRANGE', 'SET', 'DEL']);
const OPS: ReadonlySet<string> = new Set(['lookup', 'store', 'purge', 'update', 'lock']);
/** Client names (from config) tracked by redis_up at most; more share the overflow series. */
const MAX_CLIENTS = 64;
const MODES: ReadonlySet<string> = new Set(['local', 'open', 'closed']);

interface Labelled {
  readonly labels: Record<string, string>;
  count: number;
}

function table(label: string): SeriesTable<Labelled> {
  return new SeriesTable(Number.MAX_SAFE_INTEGER, (v: string) => ({
    labels: { [label]: v },
    count: 0,
  }));
}

function counting(t: SeriesTable<Labelled>, allowed: ReadonlySet<string>, field: string) {
  return (message: unknown): void => {
    const v = (message as Record<string, unknown> | null)?.[field];
    if (typeof v !== 'string') return;
    t.get(allowed.has(v) ? v : OVERFLOW_LABEL).count++;
  };
}

interface Up {
  readonly labels: Record<string, string>;
  up: number;
}

export class RedisMetrics {
  readonly #states = table('state');
  readonly #up = new SeriesTable<Up>(MAX_CLIENTS, (name: string) => ({ labels: { name }, up: 0 }));
  readonly #errors = table('command');
  readonly #bypass = table('op');
  readonly #fallback = table('mode');

  constructor(set: MetricSet) {
    const count = (s: Labelled) => s.count;
    set.counter(
      'redis_state_changes_total',
      'Redis connection state changes (down and reconnecting mean Redis is unreachable)',
      ['state'],
      this.#states,
      count,
    );
    set.gauge(
      'redis_up',
      'Whether the Redis client is connected (0: down, its cache tier and lock are bypassed)',
      ['name'],
      this.#up,
      (r) => r.up,
    );
    set.counter(
      'redis_command_errors_total',
      'Redis commands that failed (timeout, connection, server error)',
      ['command'],
      this.#errors,
      count,
    );
    set.counter(
      'redis_cache_bypass_total',
      'Cache storage operations and lock requests that failed on Redis (the request went on without it)',
      ['op'],
      this.#bypass,
      count,
    );
    set.counter(
      'redis_limiter_fallback_total',
      'Rate limiter checks answered without Redis, by fail mode',
      ['mode'],
      this.#fallback,
      count,
    );
  }

  subscriptions(): Subscription[] {
    const countState = counting(this.#states, STATES, 'state');
    return [
      [
        REDIS_STATE_CHANNEL,
        (m: unknown) => {
          countState(m);
          const { name, state } = (m ?? {}) as { name?: unknown; state?: unknown };
          if (typeof name === 'string') this.#up.get(name).up = state === 'ready' ? 1 : 0;
        },
      ],
      [REDIS_COMMAND_ERROR_CHANNEL, counting(this.#errors, COMMANDS, 'command')],
      [REDIS_CACHE_BYPASS_CHANNEL, counting(this.#bypass, OPS, 'op')],
      [REDIS_LIMITER_FALLBACK_CHANNEL, counting(this.#fallback, MODES, 'mode')],
    ];
  }
}
