/**
 * ConfigSchema: the small typed validator for YAML settings. The server
 * declares its ServerConf with it and every app declares its own settings the
 * same way; a wrong value is a ConfigError naming the key and its line.
 * Fields come from `configField.*`: types, required keys, defaults, checks.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { isMap, isScalar, isSeq, type Node, type Pair, stringify } from 'yaml';
import { parseSocketAddr } from '../l4/socket-addr.ts';
import { suggestKey } from './config-keys.ts';
import { ConfigSource } from './config-source.ts';

/** Where a field is read: its dotted key path and the mapping that holds it. */
export interface FieldAt {
  readonly source: ConfigSource;
  readonly key: string;
  /** The mapping holding the key (the place to point at when the key is missing). */
  readonly parent: Node | undefined;
}

/** One typed setting; `key` is its YAML name when that differs from the property. */
export interface ConfigField<T> {
  readonly key: string | undefined;
  /** The schema of a nested mapping (its keys feed "did you mean" hints). */
  readonly nested?: ConfigSchema<unknown> | undefined;
  read(node: Node | undefined, at: FieldAt): T;
}

type FieldMap = Record<string, ConfigField<unknown>>;
type ValueOf<F> = F extends ConfigField<infer T> ? T : never;
/** The value type a schema of `S` produces. */
export type ConfigValue<S extends FieldMap> = { [K in keyof S]: ValueOf<S[K]> };

interface Presence<T> {
  /** YAML key (default: the property name). */
  key?: string;
  default?: T;
  required?: boolean;
  /** Extra rule: return a message to refuse the value. */
  check?: (value: T) => string | undefined;
}
/** T when the field is required or has a default, else T | undefined. */
type Present<T, O> = O extends { default: T } | { required: true } ? T : T | undefined;
type NoOptions = Record<never, never>;

interface ListOptions extends Presence<string[]> {
  maxItems?: number;
  item?: (value: string) => string | undefined;
}

export interface ConfigSchemaOptions {
  /** Refuse keys the schema does not name (typos). Default true; the file root is never strict. */
  strict?: boolean;
}

export class ConfigSchema<T> {
  readonly #fields: FieldMap;
  readonly #strict: boolean;

  constructor(fields: FieldMap, options: ConfigSchemaOptions = {}) {
    this.#fields = fields;
    this.#strict = options.strict ?? true;
  }

  /** The YAML key of each property (`gracePeriodSeconds` -> `grace_period_seconds`). */
  yamlKeys(): Map<string, string> {
    return new Map(Object.entries(this.#fields).map(([prop, f]) => [prop, f.key ?? prop]));
  }

  /**
   * Every dotted key path this schema reads, nested ones included, each
   * prefixed with `prefix.` when given: the known keys for "did you mean".
   */
  keyPaths(prefix = ''): string[] {
    const out: string[] = [];
    for (const [prop, field] of Object.entries(this.#fields)) {
      const path = prefix === '' ? (field.key ?? prop) : `${prefix}.${field.key ?? prop}`;
      out.push(path);
      if (field.nested !== undefined) out.push(...field.nested.keyPaths(path));
    }
    return out;
  }

  /**
   * Validates settings given in code (property names, not YAML keys) by the
   * same rules as the file; errors name the YAML key. Unknown properties are refused.
   */
  fromObject(values: Record<string, unknown>, name = 'configuration from code'): T {
    const keys = this.yamlKeys();
    const yamlObject: Record<string, unknown> = {};
    for (const [prop, value] of Object.entries(values)) {
      const key = keys.get(prop);
      if (key === undefined) {
        throw PingoraError.explain(ErrorType.ConfigError, `${name}: unknown setting "${prop}"`);
      }
      if (value !== undefined) yamlObject[key] = value;
    }
    return this.read(ConfigSource.parse(stringify(yamlObject), name));
  }

  /**
   * Reads the mapping under `section` of the file root (the whole root when
   * omitted). A missing section reads as empty, so defaults apply.
   */
  read(source: ConfigSource, section?: string): T {
    const root = source.root;
    if (section === undefined)
      return this.readMapping(root, { source, key: '', parent: root }, false);
    const node =
      root !== undefined && isMap(root)
        ? source.resolve(root.get(section, true) as Node | undefined)
        : undefined;
    return this.readMapping(node, { source, key: section, parent: root }, this.#strict);
  }

  /** Reads one mapping node; used for nested object fields. */
  readMapping(node: Node | undefined, at: FieldAt, strict = this.#strict): T {
    const { source } = at;
    const out: Record<string, unknown> = {};
    const seen = new Map<string, Node | undefined>();
    if (node !== undefined && !(isScalar(node) && node.value === null)) {
      if (!isMap(node))
        throw source.error(node, at.key || '(root)', `expected a mapping, got ${describe(node)}`);
      for (const pair of node.items as Pair<Node, Node | null>[]) {
        const keyNode = pair.key;
        if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
          throw source.error(keyNode ?? node, at.key || '(root)', 'keys must be plain strings');
        }
        seen.set(keyNode.value, source.resolve(pair.value ?? undefined));
      }
    }
    const known = new Set<string>();
    for (const [prop, field] of Object.entries(this.#fields)) {
      const yamlKey = field.key ?? prop;
      known.add(yamlKey);
      const key = at.key === '' ? yamlKey : `${at.key}.${yamlKey}`;
      out[prop] = field.read(seen.get(yamlKey), { source, key, parent: node ?? at.parent });
    }
    if (strict && node !== undefined && isMap(node)) {
      for (const pair of node.items as Pair<Node, unknown>[]) {
        const name = (pair.key as { value?: unknown }).value as string;
        if (!known.has(name)) {
          const key = at.key === '' ? name : `${at.key}.${name}`;
          const expected = [...known].join(', ');
          const hint = suggestKey(name, [...known]);
          const mean = hint === undefined ? '' : `did you mean "${hint}"? `;
          throw source.error(pair.key, key, `unknown key (${mean}expected one of: ${expected})`);
        }
      }
    }
    return out as T;
  }
}

/** Declares a schema; the value type is inferred from its fields. */
export function defineConfigSchema<S extends FieldMap>(
  fields: S,
  options?: ConfigSchemaOptions,
): ConfigSchema<ConfigValue<S>> {
  return new ConfigSchema<ConfigValue<S>>(fields, options);
}

/** A short description of what a node holds, for "expected X, got Y". */
function describe(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string')
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    return `${typeof v} ${String(v)}`;
  }
  return 'an unsupported node';
}

function isNull(node: Node | undefined): boolean {
  return node === undefined || (isScalar(node) && node.value === null);
}

/** Builds a scalar field from a converter that returns the value or an error message. */
function scalarField<T, O extends Presence<T>>(
  options: O | undefined,
  convert: (node: Node) => { ok: true; value: T } | { ok: false; expected: string },
): ConfigField<Present<T, O>> {
  return {
    key: options?.key,
    read(node, at) {
      if (isNull(node)) {
        if (options?.default !== undefined) return options.default as Present<T, O>;
        if (options?.required === true) {
          throw at.source.error(at.parent, at.key, 'required key is missing');
        }
        return undefined as Present<T, O>;
      }
      const result = convert(node as Node);
      if (!result.ok) {
        throw at.source.error(node, at.key, `expected ${result.expected}, got ${describe(node)}`);
      }
      const problem = options?.check?.(result.value);
      if (problem !== undefined) throw at.source.error(node, at.key, problem);
      return result.value as Present<T, O>;
    },
  };
}

interface NumberOptions<T> extends Presence<T> {
  min?: number;
  max?: number;
}

function numberField<O extends NumberOptions<number>>(
  options: O | undefined,
  integer: boolean,
): ConfigField<Present<number, O>> {
  const min = options?.min;
  const max = options?.max;
  let expected = integer ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) expected += ` from ${min} to ${max}`;
  else if (min !== undefined) expected += ` >= ${min}`;
  else if (max !== undefined) expected += ` <= ${max}`;
  return scalarField<number, O>(options, (node) => {
    const v = isScalar(node) ? node.value : undefined;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!integer || Number.isSafeInteger(v)) &&
      (min === undefined || v >= min) &&
      (max === undefined || v <= max);
    return ok ? { ok: true, value: v } : { ok: false, expected };
  });
}

/** Field builders. Each takes `{ key?, default?, required?, check? }`. */
export const configField = {
  string<O extends Presence<string> = NoOptions>(
    options?: O & Presence<string>,
  ): ConfigField<Present<string, O>> {
    return scalarField<string, O>(options, (node) =>
      isScalar(node) && typeof node.value === 'string'
        ? { ok: true, value: node.value }
        : { ok: false, expected: 'a string' },
    );
  },
  boolean<O extends Presence<boolean> = NoOptions>(
    options?: O & Presence<boolean>,
  ): ConfigField<Present<boolean, O>> {
    return scalarField<boolean, O>(options, (node) =>
      isScalar(node) && typeof node.value === 'boolean'
        ? { ok: true, value: node.value }
        : { ok: false, expected: 'true or false' },
    );
  },
  integer<O extends NumberOptions<number> = NoOptions>(
    options?: O & NumberOptions<number>,
  ): ConfigField<Present<number, O>> {
    return numberField(options, true);
  },
  number<O extends NumberOptions<number> = NoOptions>(
    options?: O & NumberOptions<number>,
  ): ConfigField<Present<number, O>> {
    return numberField(options, false);
  },
  /**
   * A list of strings: `item` checks each one, `check` the whole list; at
   * most `maxItems` (default 1024).
   */
  stringList<O extends ListOptions = NoOptions>(
    options?: O & ListOptions,
  ): ConfigField<Present<string[], O>> {
    const maxItems = options?.maxItems ?? 1024;
    return {
      key: options?.key,
      read(node, at) {
        if (isNull(node)) {
          if (options?.default !== undefined) return [...options.default] as Present<string[], O>;
          if (options?.required === true)
            throw at.source.error(at.parent, at.key, 'required key is missing');
          return undefined as Present<string[], O>;
        }
        if (!isSeq(node))
          throw at.source.error(node, at.key, `expected a list of strings, got ${describe(node)}`);
        if (node.items.length > maxItems) {
          throw at.source.error(node, at.key, `at most ${maxItems} items are allowed`);
        }
        const out: string[] = [];
        node.items.forEach((raw, i) => {
          const item = at.source.resolve(raw as Node);
          const key = `${at.key}[${i}]`;
          if (!isScalar(item) || typeof item.value !== 'string') {
            throw at.source.error(item ?? node, key, `expected a string, got ${describe(item)}`);
          }
          const problem = options?.item?.(item.value);
          if (problem !== undefined) throw at.source.error(item, key, problem);
          out.push(item.value);
        });
        const problem = options?.check?.(out);
        if (problem !== undefined) throw at.source.error(node, at.key, problem);
        return out as Present<string[], O>;
      },
    };
  },
  /**
   * A list of listening addresses: `ip:port`, `[ipv6]:port` or `unix:/path`
   * (what `ListeningService.addAddress` takes), each checked where it is written.
   */
  addressList<O extends ListOptions = NoOptions>(
    options?: O & ListOptions,
  ): ConfigField<Present<string[], O>> {
    const own = options?.item;
    return configField.stringList<O>({
      ...(options as O),
      item: (value: string) => {
        try {
          parseSocketAddr(value);
        } catch {
          return `"${value}" is not "ip:port", "[ipv6]:port" or "unix:/path"`;
        }
        return own?.(value);
      },
    });
  },
  /** A nested mapping read with its own schema (missing reads as empty: defaults apply). */
  object<T>(schema: ConfigSchema<T>, options: { key?: string } = {}): ConfigField<T> {
    return {
      key: options.key,
      nested: schema as ConfigSchema<unknown>,
      read: (node, at) => schema.readMapping(node, at),
    };
  },
} as const;
