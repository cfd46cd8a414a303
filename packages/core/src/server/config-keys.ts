/**
 * Claimed configuration keys: every top-level YAML key belongs to the
 * server's schema or to an app's section (`server.appConfig(schema, section)`
 * claims it). A key nobody claims is a ConfigError naming its line, with a
 * "did you mean" hint drawn from every known key path (`upstream` ->
 * `load_balancer.upstreams`), so a typo cannot start a server on its defaults.
 */
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import type { ConfigSource } from './config-source.ts';

/** What to do with a top-level key no schema claims. */
export type UnclaimedKeys = 'error' | 'warn' | 'ignore';

export interface UnclaimedKey {
  readonly key: string;
  readonly node: Node;
  /** The closest known key path, when one is near enough to be a likely typo. */
  readonly hint: string | undefined;
}

export class ConfigKeyClaims {
  /** Top-level key -> the dotted key paths under it (for hints). */
  readonly #claims = new Map<string, readonly string[]>();

  /** Claims a top-level key; `paths` are the key paths it holds (e.g. `load_balancer.listen`). */
  claim(key: string, paths: readonly string[] = []): void {
    const known = this.#claims.get(key) ?? [];
    this.#claims.set(key, [...new Set([...known, ...paths])]);
  }

  has(key: string): boolean {
    return this.#claims.has(key);
  }

  /** Every known key path: the claimed top-level keys and the paths under them. */
  knownPaths(): string[] {
    const out: string[] = [];
    for (const [key, paths] of this.#claims) out.push(key, ...paths);
    return out;
  }

  /** The top-level keys of `source` that nothing claimed, in file order. */
  unclaimed(source: ConfigSource): UnclaimedKey[] {
    const root = source.root;
    if (root === undefined || !isMap(root)) return [];
    const known = this.knownPaths();
    const out: UnclaimedKey[] = [];
    for (const pair of root.items as Pair<Node, unknown>[]) {
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      if (this.#claims.has(key)) continue;
      out.push({ key, node: keyNode, hint: suggestKey(key, known) });
    }
    return out;
  }

  /** The ConfigError for the first unclaimed key, or undefined when every key is claimed. */
  check(source: ConfigSource): Error | undefined {
    const first = this.unclaimed(source)[0];
    if (first === undefined) return undefined;
    return source.error(first.node, first.key, describeUnclaimed(first, [...this.#claims.keys()]));
  }
}

/** The message for a key nobody reads. */
export function describeUnclaimed(key: UnclaimedKey, topLevel: readonly string[]): string {
  const hint = key.hint === undefined ? '' : ` (did you mean "${key.hint}"?)`;
  return `unknown key${hint}; no setting of this server or its apps reads it (known top-level keys: ${topLevel.join(', ')})`;
}

/**
 * The known key path that `typed` most likely meant: an exact match of a
 * nested key's last segment (`listen` -> `load_balancer.listen`), else the
 * nearest by edit distance over whole paths and last segments, within about a
 * third of the word's length. Undefined when nothing is that close.
 */
export function suggestKey(typed: string, known: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  if (word === '') return undefined;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const path of known) {
    const lower = path.toLowerCase();
    const last = lower.slice(lower.lastIndexOf('.') + 1);
    // A whole-path match beats a last-segment match at the same distance.
    const score = Math.min(
      editDistance(word, lower, limit) * 2,
      editDistance(word, last, limit) * 2 + 1,
    );
    if (score < bestScore && score !== 0) {
      bestScore = score;
      best = path;
    }
  }
  return bestScore <= limit * 2 + 1 ? best : undefined;
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent swaps), cut
 * off above `limit` (returns limit + 1) so long unrelated keys cost little.
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      }
      row.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return Math.min(prev[b.length] as number, limit + 1);
}
