/**
 * A RedisLike wrapper that records every command and the reply sizes, so
 * tests can prove round trips (one per lookup) and that range reads never
 * fetch the whole body.
 */
import type { RedisArg, RedisLike, RedisReply, RedisScript } from '../../src/redis-like.ts';

export class CountingRedis implements RedisLike {
  readonly inner: RedisLike;
  readonly commands: string[] = [];
  readonly replyBytes: number[] = [];

  constructor(inner: RedisLike) {
    this.inner = inner;
  }

  get ready(): boolean {
    return this.inner.ready;
  }

  #note(name: string, r: RedisReply): RedisReply {
    this.commands.push(name);
    this.replyBytes.push(size(r));
    return r;
  }

  async send(args: readonly RedisArg[]): Promise<RedisReply> {
    return this.#note(String(args[0]), await this.inner.send(args));
  }

  async evalScript(s: RedisScript, keys: readonly RedisArg[], args: readonly RedisArg[]) {
    return this.#note('EVALSHA', await this.inner.evalScript(s, keys, args));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  reset(): void {
    this.commands.length = 0;
    this.replyBytes.length = 0;
  }
}

function size(r: RedisReply): number {
  if (Buffer.isBuffer(r)) return r.length;
  if (Array.isArray(r)) return r.reduce((n: number, x) => n + size(x), 0);
  return 0;
}
