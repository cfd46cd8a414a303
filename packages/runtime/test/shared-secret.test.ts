/**
 * SharedSecret between real threads: the first writer's bytes stay, a write
 * on one thread wakes a watcher on another with the new bytes, and only one
 * member holds the rotation schedule.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SharedSecret } from '../src/index.ts';

const WORKER_HEAD = "const { parentPort, workerData } = require('node:worker_threads');";

function region(bytes: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * SharedSecret.cellsFor(bytes)));
}

describe('SharedSecret', () => {
  it('init keeps the first value; write bumps the generation', () => {
    const r = region(48);
    const a = new SharedSecret(r, 48);
    const b = new SharedSecret(r, 48);
    expect(a.generation).toBe(0);
    const first = Buffer.alloc(48, 1);
    expect(a.init(first)).toEqual(first);
    expect(b.init(Buffer.alloc(48, 2))).toEqual(first);
    expect(b.generation).toBe(2);
    expect(b.write(Buffer.alloc(48, 3))).toBe(4);
    expect(a.read()).toEqual(Buffer.alloc(48, 3));
    expect(() => a.write(Buffer.alloc(47))).toThrow(RangeError);
    expect(() => new SharedSecret(new Int32Array(new SharedArrayBuffer(8)), 48)).toThrow(
      RangeError,
    );
  });

  it('one member holds the rotation', () => {
    const s = new SharedSecret(region(48), 48);
    expect(s.claimRotation(1)).toBe(true);
    expect(s.claimRotation(2)).toBe(false);
    // The same member again (a replaced thread has the same id).
    expect(s.claimRotation(1)).toBe(true);
  });

  it('a write on another thread wakes a watcher here with the new bytes', async () => {
    const r = region(48);
    const s = new SharedSecret(r, 48);
    s.init(Buffer.alloc(48, 1));
    let seen = s.generation;
    const changes: Buffer[] = [];
    const woke = Promise.withResolvers<void>();
    const stop = s.watch(
      () => seen,
      (bytes, generation) => {
        seen = generation;
        changes.push(bytes);
        if (changes.length === 2) woke.resolve();
      },
    );
    // A plain worker writes twice through the same layout (lock, generation, owner, bytes).
    const worker = new Worker(
      `${WORKER_HEAD}
const cells = workerData.cells;
function write(fill) {
  while (Atomics.compareExchange(cells, 0, 0, 1) !== 0);
  Atomics.add(cells, 1, 1);
  for (let i = 3; i < cells.length; i++) Atomics.store(cells, i, fill * 0x01010101);
  Atomics.add(cells, 1, 1);
  Atomics.store(cells, 0, 0);
  Atomics.notify(cells, 1);
}
write(7);
setTimeout(() => { write(9); parentPort.postMessage('done'); }, 50);
`,
      { eval: true, workerData: { cells: r } },
    );
    const timer = setTimeout(() => woke.reject(new Error('no wake-up')), 5_000);
    try {
      await woke.promise;
    } finally {
      clearTimeout(timer);
      stop();
      await worker.terminate();
    }
    expect(changes).toEqual([Buffer.alloc(48, 7), Buffer.alloc(48, 9)]);
    expect(seen).toBe(6);
  });
});
