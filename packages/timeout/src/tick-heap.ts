/**
 * A binary min-heap of tick numbers: the timer wheel's index of which ticks
 * have entries filed, so its one driver timer is armed for the earliest.
 */
export class TickHeap {
  readonly #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The smallest tick, or undefined when empty. */
  peek(): number | undefined {
    return this.#items[0];
  }

  push(tick: number): void {
    const items = this.#items;
    let i = items.length;
    items.push(tick);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as number;
      if (p <= tick) break;
      items[i] = p;
      i = parent;
    }
    items[i] = tick;
  }

  pop(): number | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (items[r] as number) < (items[l] as number) ? r : l;
      if ((items[c] as number) >= last) break;
      items[i] = items[c] as number;
      i = c;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
