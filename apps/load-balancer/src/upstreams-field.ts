/**
 * The `upstreams` setting as a core ConfigField: a list of `"ip:port"` or
 * `"ip:port weight=N"` strings, or a mapping `{ "ip:port": N }`. Each entry
 * becomes a load-balancing Backend; a bad or repeated entry is a ConfigError
 * naming its key (`load_balancer.upstreams[2]`) and line.
 */
import { type ConfigField, type FieldAt, parseSocketAddr } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { Backend, MAX_BACKEND_WEIGHT } from '@pingora-ts/load-balancing';
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';

/** The most upstreams one gateway balances over. */
export const MAX_UPSTREAMS = 1024;

const ENTRY = /^(\S+)(?:\s+weight=(\S*))?$/;

function checkAddr(addr: string): string | undefined {
  try {
    if (parseSocketAddr(addr).kind === 'inet') return undefined;
  } catch {}
  return `"${addr}" is not "ip:port" or "[ipv6]:port"`;
}

function checkWeight(weight: number): string | undefined {
  return Number.isInteger(weight) && weight >= 1 && weight <= MAX_BACKEND_WEIGHT
    ? undefined
    : `weight must be an integer from 1 to ${MAX_BACKEND_WEIGHT}, got ${String(weight)}`;
}

/** The Backend for a checked address and weight, or why there is none. */
function toBackend(addr: string, weight: number): Backend | string {
  try {
    return new Backend(addr, { weight });
  } catch (err) {
    return err instanceof PingoraError ? err.message : String(err);
  }
}

/** Parses one list entry: `ip:port` or `ip:port weight=N`. */
function parseEntry(text: string): Backend | string {
  const m = ENTRY.exec(text.trim());
  if (m === null) return `expected "ip:port" or "ip:port weight=N", got ${JSON.stringify(text)}`;
  const addr = m[1] as string;
  const weightText = m[2];
  const weight =
    weightText === undefined ? 1 : /^\d{1,6}$/.test(weightText) ? Number(weightText) : NaN;
  if (Number.isNaN(weight)) {
    return `weight must be an integer from 1 to ${MAX_BACKEND_WEIGHT}, got "${weightText}"`;
  }
  return checkAddr(addr) ?? checkWeight(weight) ?? toBackend(addr, weight);
}

/** Collects entries, refusing a second entry for an address already given. */
class Collector {
  readonly backends: Backend[] = [];
  readonly #keys = new Map<string, string>();
  readonly #at: FieldAt;

  constructor(at: FieldAt) {
    this.#at = at;
  }

  add(result: Backend | string, node: Node | undefined, key: string): void {
    const { source } = this.#at;
    if (typeof result === 'string') throw source.error(node, key, result);
    const first = this.#keys.get(result.addr);
    if (first !== undefined) {
      throw source.error(node, key, `${result.addr} is already listed (${first})`);
    }
    this.#keys.set(result.addr, key);
    this.backends.push(result);
  }
}

/** The `upstreams` field: missing or empty reads as no upstream (the app starts demo origins). */
export function upstreamsField(): ConfigField<Backend[]> {
  return {
    key: undefined,
    read(node, at) {
      if (node === undefined || (isScalar(node) && node.value === null)) return [];
      const { source } = at;
      const collector = new Collector(at);
      if (isSeq(node)) {
        if (node.items.length > MAX_UPSTREAMS) {
          throw source.error(node, at.key, `at most ${MAX_UPSTREAMS} upstreams are allowed`);
        }
        node.items.forEach((raw, i) => {
          const item = source.resolve(raw as Node);
          const key = `${at.key}[${i}]`;
          const result =
            isScalar(item) && typeof item.value === 'string'
              ? parseEntry(item.value)
              : 'expected "ip:port" or "ip:port weight=N"';
          collector.add(result, item ?? node, key);
        });
      } else if (isMap(node)) {
        if (node.items.length > MAX_UPSTREAMS) {
          throw source.error(node, at.key, `at most ${MAX_UPSTREAMS} upstreams are allowed`);
        }
        for (const pair of node.items as Pair<Node, Node | null>[]) {
          const keyNode = pair.key;
          if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
            throw source.error(keyNode ?? node, at.key, 'keys must be "ip:port" strings');
          }
          const key = `${at.key}["${keyNode.value}"]`;
          const value = source.resolve(pair.value ?? undefined);
          const addrProblem = checkAddr(keyNode.value);
          if (addrProblem !== undefined) throw source.error(keyNode, key, addrProblem);
          const weight = isScalar(value) && typeof value.value === 'number' ? value.value : NaN;
          const weightProblem = Number.isNaN(weight)
            ? 'expected a weight (an integer from 1 to 65535)'
            : checkWeight(weight);
          if (weightProblem !== undefined) throw source.error(value ?? keyNode, key, weightProblem);
          collector.add(toBackend(keyNode.value, weight), keyNode, key);
        }
      } else {
        throw source.error(
          node,
          at.key,
          'expected a list of "ip:port [weight=N]" or a mapping of "ip:port" to weight',
        );
      }
      return collector.backends;
    },
  };
}
