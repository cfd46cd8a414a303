/**
 * In-flight counts shared by server threads (two trackers over one
 * SharedTable stand for two threads): least-connections and p2c on one
 * thread see requests counted on the other, a large set is scanned rather
 * than read from a change log that misses the other thread's changes, and a
 * thread replacing a crashed one takes back what its predecessor left counted.
 */
import { SharedTable } from '@pingora-ts/runtime';
import { describe, expect, it } from 'vitest';
import { LeastConnections, PowerOfTwoChoices } from '../src/index.ts';
import { InFlightTracker } from '../src/selection/in-flight.ts';
import { SharedCounts } from '../src/selection/shared-in-flight.ts';
import { backendSet } from './utils/selection-conformance.ts';

function threads(table: SharedTable, ...indexes: number[]): InFlightTracker[] {
  return indexes.map((i) => new InFlightTracker(new SharedCounts(table, i, 0)));
}

describe('shared in-flight counts', () => {
  it('a pick on one thread avoids the backends busy on another', () => {
    const table = new SharedTable(1024);
    const [t0, t1] = threads(table, 0, 1) as [InFlightTracker, InFlightTracker];
    const set = backendSet(3);
    const lc1 = new LeastConnections(set, { inFlight: t1 });
    const p2c1 = new PowerOfTwoChoices(set, { inFlight: t1 });
    // Thread 0 holds requests on the first two backends.
    const guards = [t0.acquire(set[0]!), t0.acquire(set[1]!)];
    expect(t1.count(set[0]!.addr)).toBe(1);
    for (let i = 0; i < 10; i++) {
      expect(lc1.iter().next()).toBe(set[2]);
      expect(p2c1.load(2)).toBe(0);
    }
    for (const g of guards) g.release();
    expect(t1.count(set[0]!.addr)).toBe(0);
    expect(t1.count(set[1]!.addr)).toBe(0);
  });

  it('a large set is scanned live, not through this thread change log', () => {
    const table = new SharedTable(4096);
    const [t0, t1] = threads(table, 0, 1) as [InFlightTracker, InFlightTracker];
    const set = backendSet(100);
    const lc1 = new LeastConnections(set, { inFlight: t1 });
    expect(lc1.tree).toBeUndefined();
    const guards = set.slice(0, 99).map((b) => t0.acquire(b));
    expect(lc1.iter().next()).toBe(set[99]);
    for (const g of guards) g.release();
    // One thread alone keeps its O(log n) tree.
    expect(new LeastConnections(set, { inFlight: new InFlightTracker() }).tree).toBeDefined();
  });

  it('a thread replacing a crashed one takes back the counts its predecessor left', () => {
    const table = new SharedTable(1024);
    const [t0, dead] = threads(table, 0, 1) as [InFlightTracker, InFlightTracker];
    const [b] = backendSet(1);
    const kept = t0.acquire(b!);
    dead.acquire(b!);
    dead.acquire(b!);
    expect(t0.count(b!.addr)).toBe(3);
    // Thread 1 died with two requests counted; its replacement (same index) maps the backend.
    const [replacement] = threads(table, 1) as [InFlightTracker];
    replacement.slotFor(b!.addr);
    expect(t0.count(b!.addr)).toBe(1);
    const g = replacement.acquire(b!);
    expect(t0.count(b!.addr)).toBe(2);
    g.release();
    kept.release();
    expect(t0.count(b!.addr)).toBe(0);
  });

  it('shared slots are never freed: retain() keeps the counts other threads still use', () => {
    const table = new SharedTable(1024);
    const [t0, t1] = threads(table, 0, 1) as [InFlightTracker, InFlightTracker];
    const [a, b] = backendSet(2);
    const slot = t0.slotFor(a!.addr);
    t0.retain(new Set([b!.addr]));
    const g = t1.acquire(a!);
    expect(t0.slotFor(a!.addr)).toBe(slot);
    expect(t0.count(a!.addr)).toBe(1);
    g.release();
  });
});
