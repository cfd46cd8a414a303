/**
 * HTTP modules (Pingora's HttpModule): reusable filters that an HttpProxy
 * runs for every request around the user's own phases, such as response
 * compression. A builder makes one module instance per request; HttpModules
 * holds the builders (ordered), HttpModuleCtx the instances of one request.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';

/**
 * What a body filter returns: a replacement body (`null`: nothing to send
 * for this piece), or undefined to keep the body as it was.
 */
export type BodyFilterResult = Buffer | null | undefined;

/** One module instance, serving one request. Every filter is optional. */
export interface HttpModule {
  /** Sees (and may change) the downstream request header before the proxy phases use it. */
  requestHeaderFilter?(req: RequestHeader): void | Promise<void>;
  /** Sees each piece of the request body on its way upstream. */
  requestBodyFilter?(
    body: Buffer | null,
    endOfStream: boolean,
  ): BodyFilterResult | Promise<BodyFilterResult>;
  /** Sees the response header just before it goes downstream; `endOfStream`: no body follows. */
  responseHeaderFilter?(resp: ResponseHeader, endOfStream: boolean): void | Promise<void>;
  /**
   * Sees each piece of the response body on its way downstream. A promise is
   * awaited before the next piece, so only return one when work is pending.
   */
  responseBodyFilter?(
    body: Buffer | null,
    endOfStream: boolean,
  ): BodyFilterResult | Promise<BodyFilterResult>;
  /**
   * True while `responseBodyFilter` leaves this response's body alone
   * (returns undefined at once, keeps nothing). The proxy then hands the
   * filters chunks that are only valid during the call instead of copies (see
   * BodySink.takesTransientChunks); without this method every body filter of
   * the module gets chunks it may keep.
   */
  responseBodyPassThrough?(): boolean;
  /**
   * Sees the response trailers before the end of the body. Returning bytes
   * turns the trailers into body: the bytes are sent as the last piece of
   * the body (through the body filters) and no trailers follow (the gRPC-web
   * trailer frame). Undefined leaves the trailers as they are.
   */
  responseTrailerFilter?(trailers: HeaderList): Buffer | undefined;
  /** The response is over (sent, or abandoned after an error): release resources. */
  responseDone?(): void;
}

/** Makes the module instance of each request. */
export interface HttpModuleBuilder {
  /** Higher runs first (Pingora's order); default 0. */
  readonly order?: number;
  /**
   * True when a fresh instance leaves every request and response alone until
   * a filter adjusts it through HttpModuleCtx.get (the default, disabled
   * compression module). The ctx then builds it only when asked for, and
   * replays the request and response headers it has already seen to it (the
   * headers as they are by then).
   */
  readonly idle?: boolean;
  init(): HttpModule;
}

type Ctor<T> = abstract new (...args: never[]) => T;

/** The module builders of one proxy service, fixed once the first request is served. */
export class HttpModules {
  #builders: HttpModuleBuilder[] = [];
  #sealed = false;

  /** Adds a builder; builders run by descending `order`, then in insertion order. */
  addModule(builder: HttpModuleBuilder): void {
    if (this.#sealed) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'HttpModules: cannot add a module after requests were served',
      );
    }
    this.#builders.push(builder);
    // A stable sort keeps insertion order among equal orders.
    this.#builders.sort((a, b) => (b.order ?? 0) - (a.order ?? 0));
  }

  get size(): number {
    return this.#builders.length;
  }

  /** One fresh instance of every module, for one request. */
  buildCtx(): HttpModuleCtx {
    this.#sealed = true;
    const builders = this.#builders;
    // No modules, no per-request state: every request shares one empty ctx.
    if (builders.length === 0) return EMPTY_CTX;
    let idle = 0;
    for (let i = 0; i < builders.length; i++) if (builders[i]?.idle === true) idle++;
    // Only idle modules: none is built unless a filter asks for it.
    if (idle === builders.length) return new HttpModuleCtx(NO_MODULES, builders);
    const modules: HttpModule[] = [];
    for (const b of builders) if (b.idle !== true) modules.push(b.init());
    return new HttpModuleCtx(modules, idle === 0 ? undefined : builders);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The module instances of one request, run in order by the proxy. */
export class HttpModuleCtx {
  #modules: readonly HttpModule[];
  /** All builders, while idle ones are not built yet (undefined: nothing left to build). */
  #lazy: readonly HttpModuleBuilder[] | undefined;
  /** The headers the filters saw, replayed to modules built later. */
  #req: RequestHeader | undefined = undefined;
  #resp: ResponseHeader | undefined = undefined;
  #respEos = false;

  /**
   * `modules`: the built instances; `lazy`: every builder of the proxy (in
   * order) when the idle ones among them are left unbuilt until asked for.
   */
  constructor(modules: readonly HttpModule[] = [], lazy?: readonly HttpModuleBuilder[]) {
    this.#modules = modules;
    this.#lazy = lazy;
  }

  /** The module instances built so far, in running order. */
  get modules(): readonly HttpModule[] {
    return this.#modules;
  }

  /**
   * The module instance of class `type` (to adjust it from a filter), if
   * present. Builds the idle modules first when they are not yet.
   */
  get<T extends HttpModule>(type: Ctor<T>): T | undefined {
    if (this.#lazy !== undefined) this.#buildIdle(this.#lazy);
    for (const m of this.#modules) if (m instanceof type) return m;
    return undefined;
  }

  /** Runs every request header filter; synchronous unless a module returns a promise. */
  requestHeaderFilter(req: RequestHeader): void | Promise<void> {
    if (this.#lazy !== undefined) this.#req = req;
    return this.#runHeader(0, req, undefined, false);
  }

  /** Runs every response header filter; synchronous unless a module returns a promise. */
  responseHeaderFilter(resp: ResponseHeader, endOfStream: boolean): void | Promise<void> {
    if (this.#lazy !== undefined) {
      this.#resp = resp;
      this.#respEos = endOfStream;
    }
    return this.#runHeader(0, undefined, resp, endOfStream);
  }

  /** Builds the idle modules in their place and replays the headers seen so far to them. */
  #buildIdle(builders: readonly HttpModuleBuilder[]): void {
    this.#lazy = undefined;
    const built = this.#modules;
    const modules: HttpModule[] = [];
    let next = 0;
    for (const b of builders) {
      if (b.idle !== true) {
        modules.push(built[next++]!);
        continue;
      }
      const m = b.init();
      // An idle module changes nothing, so its filters settle at once.
      if (this.#req !== undefined) void m.requestHeaderFilter?.(this.#req);
      if (this.#resp !== undefined) void m.responseHeaderFilter?.(this.#resp, this.#respEos);
      modules.push(m);
    }
    this.#modules = modules;
    this.#req = undefined;
    this.#resp = undefined;
  }

  /** Runs every request body filter; synchronous unless a module returns a promise. */
  requestBodyFilter(
    body: Buffer | null,
    endOfStream: boolean,
  ): Buffer | null | Promise<Buffer | null> {
    return this.#runBody(0, body, endOfStream, false);
  }

  /** Runs every response body filter; synchronous unless a module returns a promise. */
  responseBodyFilter(
    body: Buffer | null,
    endOfStream: boolean,
  ): Buffer | null | Promise<Buffer | null> {
    return this.#runBody(0, body, endOfStream, true);
  }

  /**
   * Runs every trailer filter: the body bytes the trailers became (the
   * first module that turned them into bytes wins), or undefined.
   */
  responseTrailerFilter(trailers: HeaderList): Buffer | undefined {
    for (const m of this.#modules) {
      const bytes = m.responseTrailerFilter?.(trailers);
      if (bytes !== undefined) return bytes;
    }
    return undefined;
  }

  /**
   * Whether a module's body filter may keep the chunks it sees (so the proxy
   * must give it stable copies): for the response, every module with a body
   * filter that does not say it passes this response through; for the
   * request, every module with a request body filter.
   */
  bodyFiltersKeepChunks(response: boolean): boolean {
    // Index loops: called per request and per body chunk, and an iterator is an allocation.
    const modules = this.#modules;
    for (let i = 0; i < modules.length; i++) {
      const m = modules[i] as HttpModule;
      if (response) {
        if (m.responseBodyFilter !== undefined && m.responseBodyPassThrough?.() !== true) {
          return true;
        }
      } else if (m.requestBodyFilter !== undefined) return true;
    }
    return false;
  }

  /** Tells every module the response is over. */
  responseDone(): void {
    const modules = this.#modules;
    for (let i = 0; i < modules.length; i++) modules[i]?.responseDone?.();
  }

  #runHeader(
    from: number,
    req: RequestHeader | undefined,
    resp: ResponseHeader | undefined,
    eos: boolean,
  ): void | Promise<void> {
    const modules = this.#modules;
    for (let i = from; i < modules.length; i++) {
      const m = modules[i]!;
      const r =
        req !== undefined
          ? m.requestHeaderFilter?.(req)
          : m.responseHeaderFilter?.(resp as ResponseHeader, eos);
      if (r !== undefined && isPromise(r)) {
        return r.then(() => this.#runHeader(i + 1, req, resp, eos));
      }
    }
    return undefined;
  }

  #runBody(
    from: number,
    body: Buffer | null,
    eos: boolean,
    response: boolean,
  ): Buffer | null | Promise<Buffer | null> {
    const modules = this.#modules;
    let current = body;
    for (let i = from; i < modules.length; i++) {
      const m = modules[i]!;
      const filter = response ? m.responseBodyFilter : m.requestBodyFilter;
      if (filter === undefined) continue;
      const result = filter.call(m, current, eos);
      if (isPromise(result)) {
        return result.then((r) =>
          this.#runBody(i + 1, r === undefined ? current : r, eos, response),
        );
      }
      if (result !== undefined) current = result;
    }
    return current;
  }
}

const NO_MODULES: readonly HttpModule[] = Object.freeze([]);
const EMPTY_CTX = new HttpModuleCtx(NO_MODULES);
