/**
 * CacheMeta: everything stored about an asset besides its body (Pingora's
 * meta.rs): when it was created and last updated, until when it is fresh,
 * its stale-while-revalidate and stale-if-error windows, the response head,
 * the variance and user extensions. Times are ms since the epoch. The
 * binary form (meta-codec.ts) is for storages that keep bytes. What a hit
 * needs from the head (its wire bytes, its Vary names) is worked out once
 * per meta and kept with it.
 */
import { type ResponseHeader, trimOws } from '@pingora-ts/http';
import { CacheControl } from './cache-control.ts';

export interface CacheMetaInit {
  freshUntil: number;
  created: number;
  updated?: number;
  staleWhileRevalidateSec?: number;
  staleIfErrorSec?: number;
  /** Seconds of age the response already had when it was stored (RFC 9111 §4.2.3). */
  initialAgeSec?: number;
  header: ResponseHeader;
  variance?: Buffer | undefined;
  extensions?: Map<string, string>;
}

export class CacheMeta {
  created: number;
  updated: number;
  freshUntil: number;
  staleWhileRevalidateSec: number;
  staleIfErrorSec: number;
  initialAgeSec: number;
  /** The stored response head (hop-by-hop fields removed). Do not mutate a stored one: clone. */
  header: ResponseHeader;
  variance: Buffer | undefined;
  readonly extensions: Map<string, string>;
  /** The head hits are served from (see servedHeader) and the stored head it was made from. */
  #served: ResponseHeader | undefined;
  #servedFrom: ResponseHeader | undefined;
  #servedRanges = false;
  #servedUses = 0;
  #vary: readonly string[] | undefined;
  #varyFrom: ResponseHeader | undefined;
  #cc: CacheControl | undefined;
  #ccFrom: ResponseHeader | undefined;

  constructor(init: CacheMetaInit) {
    this.created = init.created;
    this.updated = init.updated ?? init.created;
    this.freshUntil = init.freshUntil;
    this.staleWhileRevalidateSec = init.staleWhileRevalidateSec ?? 0;
    this.staleIfErrorSec = init.staleIfErrorSec ?? 0;
    this.initialAgeSec = init.initialAgeSec ?? 0;
    this.header = init.header;
    this.variance = init.variance;
    this.extensions = init.extensions ?? new Map();
  }

  isFresh(now: number): boolean {
    return now < this.freshUntil;
  }

  /** Seconds the asset may still be used stale while it is revalidated (RFC 5861). */
  serveStaleWhileRevalidate(now: number): boolean {
    return now < this.freshUntil + this.staleWhileRevalidateSec * 1000;
  }

  /** Whether the asset may be served stale because the upstream failed (RFC 5861). */
  serveStaleIfError(now: number): boolean {
    return now < this.freshUntil + this.staleIfErrorSec * 1000;
  }

  /** The `Age` to send: seconds since it was stored or revalidated, plus its initial age. */
  ageSec(now: number): number {
    return Math.max(0, Math.floor((now - this.updated) / 1000)) + this.initialAgeSec;
  }

  /** How long the asset is worth keeping: fresh plus the longer stale window (for TTL-based storages). */
  keepUntil(): number {
    return this.freshUntil + Math.max(this.staleWhileRevalidateSec, this.staleIfErrorSec) * 1000;
  }

  /**
   * A copy of the stored head to send on a hit, to change as the response
   * needs: without the `Age` the origin sent (the hit appends its own), with
   * `Accept-Ranges: bytes` on a 200 of known length. From the second
   * serve of this meta on, its field lines are encoded once and shared by
   * every copy, so a hit neither re-parses nor re-encodes them (see
   * HeaderList.encodeFields); a meta served once (a storage that decodes a
   * new one per lookup) is not worth encoding.
   */
  servedHeader(): ResponseHeader {
    const served = this.#servedHead();
    if (++this.#servedUses === 2) served.encodeFields();
    return served.sharedClone();
  }

  /**
   * Whether `head`, a servedHeader() copy, still has the stored
   * `Accept-Ranges: bytes` among its encoded fields (so a hit need not look).
   */
  servedAcceptsRanges(head: ResponseHeader): boolean {
    const encoded = this.#servedHead().encodedFieldCount;
    return this.#servedRanges && encoded > 0 && head.encodedFieldCount === encoded;
  }

  #servedHead(): ResponseHeader {
    const header = this.header;
    let served = this.#served;
    if (served === undefined || this.#servedFrom !== header) {
      served = header.clone();
      served.removeHeader('age');
      // a 200 of known length is served with Accept-Ranges (Pingora's range filter): said once here
      const cl = served.getHeader('content-length');
      if (served.status === 200 && cl !== undefined && /^\d+$/.test(cl)) {
        if (served.getHeader('accept-ranges') !== 'bytes')
          served.insertHeader('Accept-Ranges', 'bytes');
      }
      this.#servedRanges = served.getHeader('accept-ranges') === 'bytes';
      this.#servedUses = 0;
      this.#served = served;
      this.#servedFrom = header;
    }
    return served;
  }

  /** The stored head's Cache-Control, parsed once per meta and shared (read it, do not change it). */
  cacheControl(): CacheControl | undefined {
    const header = this.header;
    if (this.#ccFrom !== header) {
      this.#cc = CacheControl.fromHeaders(header);
      this.#ccFrom = header;
    }
    return this.#cc;
  }

  /** The lower-case field names the stored `Vary` lists, in order, parsed once per meta ('*' kept). */
  varyFieldNames(): readonly string[] {
    const header = this.header;
    if (this.#vary === undefined || this.#varyFrom !== header) {
      const names: string[] = [];
      for (const v of header.getAll('vary')) {
        for (const part of v.split(',')) {
          const n = trimOws(part).toLowerCase();
          if (n.length > 0 && !names.includes(n)) names.push(n);
        }
      }
      this.#vary = names;
      this.#varyFrom = header;
    }
    return this.#vary;
  }

  clone(): CacheMeta {
    return new CacheMeta({
      created: this.created,
      updated: this.updated,
      freshUntil: this.freshUntil,
      staleWhileRevalidateSec: this.staleWhileRevalidateSec,
      staleIfErrorSec: this.staleIfErrorSec,
      initialAgeSec: this.initialAgeSec,
      header: this.header.clone(),
      variance: this.variance,
      extensions: new Map(this.extensions),
    });
  }
}
