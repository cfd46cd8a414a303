import { ErrorType, PingoraError } from '@pingora-ts/error';
import { ManualClock } from '@pingora-ts/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnectionPool,
  type IdleEntry,
  type IdleWatch,
  type PoolDropReason,
} from '../src/index.ts';

/** A watch over plain string "connections" that records what happened to them. */
class RecordingWatch implements IdleWatch<string> {
  readonly watching = new Map<string, IdleEntry>();
  readonly closed: [string, PoolDropReason][] = [];
  watch(conn: string, entry: IdleEntry): void {
    if (this.watching.has(conn)) throw new Error(`double watch of ${conn}`);
    this.watching.set(conn, entry);
  }
  unwatch(conn: string): void {
    if (!this.watching.delete(conn)) throw new Error(`unwatch of unwatched ${conn}`);
  }
  close(conn: string, reason: PoolDropReason): void {
    if (this.watching.has(conn)) throw new Error(`close before unwatch of ${conn}`);
    this.closed.push([conn, reason]);
  }
}

describe('ConnectionPool', () => {
  it('hands out connections by key, the most recently pooled first', () => {
    const pool = new ConnectionPool<string>({ maxSize: 10 });
    expect(pool.put('a', 'a1')).toBe(true);
    expect(pool.put('b', 'b1')).toBe(true);
    expect(pool.put('a', 'a2')).toBe(true);
    expect(pool.size).toBe(3);
    expect(pool.keyCount).toBe(2);
    expect(pool.get('c')).toBeUndefined();
    expect(pool.get('a')).toBe('a2');
    expect(pool.get('a')).toBe('a1');
    expect(pool.get('a')).toBeUndefined();
    expect(pool.get('b')).toBe('b1');
    expect(pool.size).toBe(0);
    expect(pool.keyCount).toBe(0);
    expect(pool.stats).toMatchObject({ puts: 3, hits: 3, misses: 2 });
  });

  it('evicts the least recently pooled connection across all keys at the limit', () => {
    const watch = new RecordingWatch();
    const pool = new ConnectionPool<string>({ maxSize: 3 });
    pool.put('a', 'a1', { watch });
    pool.put('b', 'b1', { watch });
    pool.put('a', 'a2', { watch });
    pool.put('c', 'c1', { watch }); // evicts a1
    pool.put('b', 'b2', { watch }); // evicts b1
    expect(watch.closed).toEqual([
      ['a1', 'evicted'],
      ['b1', 'evicted'],
    ]);
    expect(pool.size).toBe(3);
    expect(pool.sizeOf('a')).toBe(1);
    expect(pool.get('a')).toBe('a2');
    pool.put('d', 'd1', { watch }); // room was made by get: nothing evicted
    pool.put('d', 'd2', { watch }); // evicts c1, the oldest left
    expect(watch.closed.at(-1)).toEqual(['c1', 'evicted']);
    expect(pool.stats.evicted).toBe(3);
    expect([...watch.watching.keys()].sort()).toEqual(['b2', 'd1', 'd2']);
  });

  it('refuses connections when pooling is disabled by size 0 or idle timeout 0', () => {
    const watch = new RecordingWatch();
    const off = new ConnectionPool<string>({ maxSize: 0 });
    expect(off.put('a', 'a1', { watch })).toBe(false);
    expect(off.get('a')).toBeUndefined();
    const pool = new ConnectionPool<string>({ maxSize: 4 });
    expect(pool.put('a', 'a1', { idleTimeoutMs: 0, watch })).toBe(false);
    expect(pool.size).toBe(0);
    expect(pool.stats.rejected).toBe(1);
    // A refused connection stays the caller's: the pool neither watches nor closes it.
    expect(watch.watching.size).toBe(0);
    expect(watch.closed).toEqual([]);
  });

  it('rejects bad sizes and idle timeouts with ConfigError', () => {
    for (const maxSize of [-1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        new ConnectionPool<string>({ maxSize });
      } catch (e) {
        caught = e;
      }
      expect(PingoraError.is(caught) && caught.type === ErrorType.ConfigError).toBe(true);
    }
    const pool = new ConnectionPool<string>({ maxSize: 1 });
    expect(() => pool.put('a', 'x', { idleTimeoutMs: -5 })).toThrow(/idle timeout/);
    expect(() => pool.put('a', 'x', { idleTimeoutMs: Number.NaN })).toThrow(/idle timeout/);
    expect(pool.size).toBe(0);
  });

  it('drops a connection when its watcher reports it closed or sent data, and only once', () => {
    const watch = new RecordingWatch();
    const pool = new ConnectionPool<string>({ maxSize: 10 });
    pool.put('a', 'a1', { watch });
    pool.put('a', 'a2', { watch });
    pool.put('a', 'a3', { watch });
    const e1 = watch.watching.get('a1')!;
    const e2 = watch.watching.get('a2')!;
    e2.gone('unexpected-data');
    e1.gone('closed');
    e1.gone('closed'); // late, ignored
    expect(watch.closed).toEqual([
      ['a2', 'unexpected-data'],
      ['a1', 'closed'],
    ]);
    expect(pool.stats).toMatchObject({ unexpectedData: 1, closedWhileIdle: 1 });
    expect(pool.get('a')).toBe('a3');
    expect(pool.get('a')).toBeUndefined();
    // A handle kept past its connection's exit must not touch a later one.
    pool.put('a', 'a4', { watch });
    e1.gone('closed');
    expect(pool.size).toBe(1);
  });

  it('closes connections whose idle timeout passed, keeping those with longer ones', () => {
    const watch = new RecordingWatch();
    const clock = new ManualClock();
    const pool = new ConnectionPool<string>({ maxSize: 10, clock });
    pool.put('a', 'short1', { idleTimeoutMs: 30, watch });
    pool.put('a', 'long', { idleTimeoutMs: 60_000, watch });
    pool.put('b', 'forever', { watch });
    pool.put('b', 'short2', { idleTimeoutMs: 40, watch });
    clock.advance(29);
    expect(pool.stats.idleTimeouts).toBe(0);
    clock.advance(11);
    expect(pool.stats.idleTimeouts).toBe(2);
    expect(watch.closed.map(([c, r]) => `${c}:${r}`).sort()).toEqual([
      'short1:idle-timeout',
      'short2:idle-timeout',
    ]);
    expect(pool.get('a')).toBe('long');
    expect(pool.get('b')).toBe('forever');
    pool.close();
  });

  it('does not time out a connection that was taken and put back', () => {
    const clock = new ManualClock();
    const pool = new ConnectionPool<string>({ maxSize: 10, clock });
    pool.put('a', 'c', { idleTimeoutMs: 20 });
    expect(pool.get('a')).toBe('c');
    pool.put('a', 'c', { idleTimeoutMs: 60_000 });
    clock.advance(59_999);
    expect(pool.stats.idleTimeouts).toBe(0);
    expect(pool.get('a')).toBe('c');
  });

  it('closes everything on close() and refuses later puts', () => {
    const watch = new RecordingWatch();
    const pool = new ConnectionPool<string>({ maxSize: 10 });
    pool.put('a', 'a1', { idleTimeoutMs: 1000, watch });
    pool.put('b', 'b1', { watch });
    pool.close();
    expect(watch.closed).toEqual([
      ['a1', 'pool-closed'],
      ['b1', 'pool-closed'],
    ]);
    expect(pool.put('a', 'a2', { watch })).toBe(false);
    expect(pool.size).toBe(0);
  });

  it('matches a reference model over random operation sequences', () => {
    type Op =
      | { op: 'put'; key: number }
      | { op: 'get'; key: number }
      | { op: 'gone'; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('put' as const), key: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ op: fc.constant('gone' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(opArb, { maxLength: 200 }),
        (max, ops) => {
          const watch = new RecordingWatch();
          const pool = new ConnectionPool<string, number>({ maxSize: max });
          // Model: the pooled connections in pooling order (oldest first).
          let model: { key: number; conn: string }[] = [];
          let serial = 0;
          for (const step of ops) {
            if (step.op === 'put') {
              const conn = `c${serial++}`;
              pool.put(step.key, conn, { watch });
              model.push({ key: step.key, conn });
              if (model.length > max) {
                const evicted = model.shift()!;
                expect(watch.closed.at(-1)).toEqual([evicted.conn, 'evicted']);
              }
            } else if (step.op === 'get') {
              const mine = model.filter((m) => m.key === step.key).at(-1);
              expect(pool.get(step.key)).toBe(mine?.conn);
              if (mine !== undefined) model = model.filter((m) => m !== mine);
            } else if (model.length > 0) {
              const victim = model[step.pick % model.length]!;
              watch.watching.get(victim.conn)!.gone('closed');
              expect(watch.closed.at(-1)).toEqual([victim.conn, 'closed']);
              model = model.filter((m) => m !== victim);
            }
            expect(pool.size).toBe(model.length);
            expect(watch.watching.size).toBe(model.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
