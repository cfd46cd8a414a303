/**
 * ConfigSource: one parsed YAML configuration file, kept with its line table
 * so that every error about a key can name the key and where it is. The
 * server reads its ServerConf from it and apps read their own typed settings
 * from the same source (see config-schema.ts).
 */
import { readFileSync } from 'node:fs';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type Document, isAlias, isMap, LineCounter, type Node, parseDocument } from 'yaml';

/** Configuration files larger than this are refused: a config is not a data set. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export class ConfigSource {
  /** The file name used in messages (`<inline>` for text given in code). */
  readonly name: string;
  readonly document: Document.Parsed;
  readonly #lines: LineCounter;

  private constructor(name: string, document: Document.Parsed, lines: LineCounter) {
    this.name = name;
    this.document = document;
    this.#lines = lines;
  }

  /** Parses YAML text; a syntax error becomes a ConfigError naming the line. */
  static parse(text: string, name = '<inline>'): ConfigSource {
    if (text.length > MAX_CONFIG_BYTES) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `${name}: configuration is larger than ${MAX_CONFIG_BYTES} bytes`,
      );
    }
    const lines = new LineCounter();
    // uniqueKeys: a key given twice is ambiguous, so it is an error, not "last wins".
    const document = parseDocument(text, {
      lineCounter: lines,
      uniqueKeys: true,
      prettyErrors: false,
    });
    const first = document.errors[0];
    if (first !== undefined) {
      const pos = lines.linePos(first.pos[0]);
      const summary = first.message.split('\n')[0] ?? first.message;
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `${name}:${pos.line}:${pos.col}: invalid YAML (${first.code}): ${summary}`,
      );
    }
    const source = new ConfigSource(name, document, lines);
    const root = document.contents;
    if (root !== null && !isMap(root)) {
      throw source.error(root, '(root)', 'the configuration must be a mapping of keys to values');
    }
    return source;
  }

  /** Reads and parses a file; a missing or unreadable file is a ConfigError too. */
  static load(path: string): ConfigSource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      const code = (cause as { code?: string }).code ?? 'unknown error';
      throw PingoraError.because(
        ErrorType.ConfigError,
        `${path}: cannot read the configuration file (${code})`,
        cause,
      );
    }
    return ConfigSource.parse(text, path);
  }

  /** The top-level mapping, or undefined for an empty file. */
  get root(): Node | undefined {
    return this.document.contents ?? undefined;
  }

  /** Follows an alias (`*name`) to the node it stands for. */
  resolve(node: Node | undefined): Node | undefined {
    if (node !== undefined && isAlias(node)) return node.resolve(this.document) ?? undefined;
    return node;
  }

  /** `file:line:col` of a node (line 1 when the node has no position). */
  where(node: Node | undefined): string {
    const offset = node?.range?.[0];
    if (offset === undefined) return `${this.name}:1:1`;
    const pos = this.#lines.linePos(offset);
    return `${this.name}:${pos.line}:${pos.col}`;
  }

  /** A ConfigError about `key` (a dotted path such as `echo.listen[1]`) at `node`. */
  error(node: Node | undefined, key: string, message: string): PingoraError {
    return PingoraError.explain(ErrorType.ConfigError, `${this.where(node)}: ${key}: ${message}`);
  }
}
