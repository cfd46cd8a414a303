/**
 * TicketKeys shared by server threads (two SharedMemory views over the same
 * regions stand for two threads): the first to join writes its key and the
 * other takes it, a rotation on one reaches the other's subscribers, and one
 * schedule runs for all (the first to claim it; the main thread claims first).
 */
import { type SharedMemory, SharedTable } from '@pingora-ts/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TICKET_KEY_BYTES, TicketKeys } from '../../src/index.ts';

function memories(...members: number[]): SharedMemory[] {
  const table = new SharedTable(64);
  const regions = new Map<string, Int32Array>();
  return members.map((memberId) => ({
    shared: table,
    memberId,
    sharedInt32(name: string, length: number) {
      let r = regions.get(name);
      if (r === undefined) {
        r = new Int32Array(new SharedArrayBuffer(4 * length));
        regions.set(name, r);
      }
      return r;
    },
  }));
}

/** Lets Atomics.waitAsync wake-ups run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

afterEach(() => {
  vi.useRealTimers();
});

describe('TicketKeys shared by threads', () => {
  it('the first to join writes its key; the others take it; rotations reach every thread', async () => {
    const [main, thread] = memories(1, 2) as [SharedMemory, SharedMemory];
    const a = new TicketKeys(Buffer.alloc(TICKET_KEY_BYTES, 1), { name: 'x' });
    const b = new TicketKeys(undefined, { name: 'x' });
    expect(a.shared).toBe(false);
    a.bind(main);
    b.bind(thread);
    expect(b.shared).toBe(true);
    expect(b.current()).toEqual(Buffer.alloc(TICKET_KEY_BYTES, 1));
    const seenByB: Buffer[] = [];
    b.onRotate((k) => seenByB.push(k));
    const seenByA: Buffer[] = [];
    a.onRotate((k) => seenByA.push(k));
    a.rotate(Buffer.alloc(TICKET_KEY_BYTES, 2));
    // The rotating thread's subscribers hear it at once, the other thread's on wake-up.
    expect(seenByA).toEqual([Buffer.alloc(TICKET_KEY_BYTES, 2)]);
    await settle();
    expect(seenByB).toEqual([Buffer.alloc(TICKET_KEY_BYTES, 2)]);
    b.rotate();
    await settle();
    expect(a.current()).toEqual(b.current());
    expect(seenByA).toHaveLength(2);
    // Another name is another key.
    const c = new TicketKeys(undefined, { name: 'y' });
    c.bind(thread);
    expect(c.current()).not.toEqual(a.current());
  });

  it('one schedule for all: the first to claim rotates, the others follow', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const [main, thread] = memories(1, 2) as [SharedMemory, SharedMemory];
    const a = new TicketKeys(undefined, { name: 'z' });
    // Asked before the pool existed (the configuration is read first): claimed on joining.
    a.rotateEvery(1_000);
    a.bind(main);
    const b = new TicketKeys(undefined, { name: 'z' });
    b.bind(thread);
    b.rotateEvery(1_000);
    const keys: string[] = [];
    b.onRotate((k) => keys.push(k.toString('hex')));
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(1_000);
      await settle();
    }
    // Three rotations (one timer), not six.
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    expect(b.current()).toEqual(a.current());
    a.stop();
    b.stop();
  });
});
