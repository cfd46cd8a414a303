/**
 * RequestHeadReader: turns the bytes of one HTTP/1 request head into a
 * RequestHeader plus what a server session acts on (persistence, upgrade,
 * Expect, body framing), or into the status to refuse it with. It owns the
 * head parser and the framing checks; the session owns the connection.
 */
import { RequestHeader } from '@pingora-ts/http';
import { type HeadLimits, HeadMode, HeadParser, NEED_MORE, PARSE_ERROR } from './head-parser.ts';
import { commonLowerName } from './header-names.ts';
import type { InputBuffer } from './input-buffer.ts';
import { BodyKind, HeadFacts } from './message-framing.ts';

/** `read` found a head that must be refused: see `refusalStatus` and `refusalText`. */
export const REFUSED = 1;

/**
 * Parsers of heads not being read: a connection takes one when a head's
 * first bytes arrive and gives it back once the head is read, so an idle
 * keep-alive connection holds none. Bounded; more are made when needed.
 */
const SPARE_PARSERS: HeadParser[] = [];
const SPARE_PARSERS_MAX = 256;
/** The facts of the head being read: used only within read(), so one per thread. */
const FACTS = new HeadFacts();

export class RequestHeadReader {
  /** Whether the client lets the connection persist after this request. */
  keepalive = false;
  /** An HTTP/1.1 request with `Upgrade` and `Connection: upgrade`. */
  upgrade = false;
  /** An HTTP/1.1 request with `Expect: 100-continue`. */
  expectContinue = false;
  /** How the request body is framed, and its length when `BodyKind.Length`. */
  bodyKind: BodyKind = BodyKind.None;
  contentLength = 0;
  /** Status and reason of the last refusal. */
  refusalStatus = 0;
  refusalText = '';

  /** The parser of the head being read; undefined between heads. */
  #parser: HeadParser | undefined = undefined;
  readonly #limits: HeadLimits;
  readonly #maxBodyBytes: number;

  constructor(limits: HeadLimits, maxBodyBytes: number) {
    this.#limits = limits;
    this.#maxBodyBytes = maxBodyBytes;
  }

  /** True once some bytes of the current head (besides leading blank lines) were seen. */
  get started(): boolean {
    return this.#parser?.started === true;
  }

  /** Readies the reader for the next request on the connection (its parser goes back). */
  reset(): void {
    const parser = this.#parser;
    if (parser === undefined) return;
    this.#parser = undefined;
    parser.reset();
    if (SPARE_PARSERS.length < SPARE_PARSERS_MAX) SPARE_PARSERS.push(parser);
  }

  #takeParser(): HeadParser {
    const spare = SPARE_PARSERS.pop();
    if (spare === undefined) return new HeadParser(HeadMode.Request, this.#limits);
    spare.limits = this.#limits;
    return spare;
  }

  /**
   * Parses the head at the start of `input` and consumes it: the request,
   * null when more bytes are needed, or REFUSED.
   */
  read(input: InputBuffer): RequestHeader | null | typeof REFUSED {
    if (input.length === 0) return null;
    let parser = this.#parser;
    if (parser === undefined) {
      parser = this.#takeParser();
      this.#parser = parser;
    }
    const r = parser.feed(input.buf, input.start, input.end);
    if (r === NEED_MORE) return null;
    if (r === PARSE_ERROR) return this.#refuse(parser.errorStatus, parser.errorText);
    input.consumeTo(r);
    const facts = FACTS;
    facts.scan(parser.names, parser.values);
    const minor = parser.minor;
    const status = facts.checkRequest(parser.method, parser.target, minor, this.#maxBodyBytes);
    if (status !== 0) return this.#refuse(status, facts.error);
    const req = RequestHeader.unchecked(
      parser.method,
      parser.target,
      minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
    );
    req.adoptParsed(parser.names, parser.values, parser.text, parser.lineStarts, commonLowerName);
    this.keepalive =
      minor === 1 ? !facts.connectionClose : facts.connectionKeepAlive && !facts.connectionClose;
    this.upgrade = minor === 1 && facts.upgrade && facts.connectionUpgrade;
    this.expectContinue = minor === 1 && facts.expectContinue;
    this.contentLength = Math.max(facts.contentLength, 0);
    this.bodyKind = facts.chunked
      ? BodyKind.Chunked
      : this.contentLength > 0
        ? BodyKind.Length
        : BodyKind.None;
    // The list adopted the parser's arrays and text: the parser can serve another connection.
    this.reset();
    return req;
  }

  #refuse(status: number, text: string): typeof REFUSED {
    this.refusalStatus = status;
    this.refusalText = text;
    return REFUSED;
  }
}
