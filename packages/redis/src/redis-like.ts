/**
 * RedisLike: the narrow client interface every Redis user in this package
 * talks to (send one command, run a script by SHA, run a transaction), so
 * node-redis, ioredis, iovalkey or a Valkey client can be plugged in. A
 * RedisScript carries its source and SHA1 for EVALSHA with an EVAL fallback.
 */
import { createHash } from 'node:crypto';

/** A command argument: strings and numbers are sent as their decimal/UTF-8 text. */
export type RedisArg = string | Buffer | number;
/** A reply: bulk strings as Buffers, integers as numbers, arrays, null for nil. */
export type RedisReply = null | number | string | Buffer | RedisReply[];

export interface RedisLike {
  /** Whether commands can be sent now (connected and ready). */
  readonly ready: boolean;
  /**
   * Sends one command. Commands issued in the same tick leave in one socket
   * write (pipelined); every command is bounded by the client's timeout and
   * rejects with a PingoraError when the server is unreachable.
   */
  send(args: readonly RedisArg[]): Promise<RedisReply>;
  /** Runs `script` by SHA (EVALSHA), loading it on NOSCRIPT. */
  evalScript(
    script: RedisScript,
    keys: readonly RedisArg[],
    args: readonly RedisArg[],
  ): Promise<RedisReply>;
  /** Closes the connection; pending commands reject. */
  close(): Promise<void>;
}

export class RedisScript {
  readonly source: string;
  readonly sha1: string;

  constructor(source: string) {
    this.source = source;
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }
}

/** Reads a reply as a Buffer (nil -> undefined). */
export function replyBuffer(r: RedisReply | undefined): Buffer | undefined {
  if (r === null || r === undefined) return undefined;
  if (Buffer.isBuffer(r)) return r;
  if (typeof r === 'string') return Buffer.from(r);
  if (typeof r === 'number') return Buffer.from(String(r));
  return undefined;
}

/** Reads a reply as a number (bulk strings parsed; nil and others -> 0). */
export function replyNumber(r: RedisReply | undefined): number {
  if (typeof r === 'number') return r;
  if (Buffer.isBuffer(r) || typeof r === 'string') {
    const n = Number(r.toString());
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}
