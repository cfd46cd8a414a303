/**
 * GrpcWeb: the HTTP module that bridges gRPC-web clients (browsers, over
 * HTTP/1.1 or h2) to gRPC upstreams (Pingora's modules/http/grpc_web.rs).
 * Requests with `application/grpc-web[-text]` are turned into gRPC; the
 * response's trailers go out as the gRPC-web trailer frame at the end of
 * the body; the text flavour is base64 both ways. Other requests pass.
 */
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { BodyFilterResult, HttpModule, HttpModuleBuilder } from '../http-module.ts';
import { Base64Decoder, Base64Encoder } from './base64-stream.ts';
import {
  GrpcWebMode,
  grpcWebMode,
  requestToGrpc,
  responseToGrpcWeb,
  trailerFrame,
} from './bridge.ts';

export class GrpcWeb implements HttpModule {
  #mode: GrpcWebMode = GrpcWebMode.None;
  /** The response is gRPC and is being bridged. */
  #bridging = false;
  #decoder: Base64Decoder | undefined;
  #encoder: Base64Encoder | undefined;

  /** The mode of the request being served (None when it is not gRPC-web). */
  get mode(): GrpcWebMode {
    return this.#mode;
  }

  requestHeaderFilter(req: RequestHeader): void {
    const mode = grpcWebMode(req);
    this.#mode = mode;
    if (mode === GrpcWebMode.None) return;
    requestToGrpc(req, mode);
    if (mode === GrpcWebMode.Text) this.#decoder = new Base64Decoder();
  }

  requestBodyFilter(body: Buffer | null, endOfStream: boolean): BodyFilterResult {
    const decoder = this.#decoder;
    if (decoder === undefined) return undefined;
    const out = body === null ? null : decoder.push(body);
    if (endOfStream) decoder.end();
    return out;
  }

  responseHeaderFilter(resp: ResponseHeader): void {
    if (this.#mode === GrpcWebMode.None) return;
    this.#bridging = responseToGrpcWeb(resp, this.#mode);
    if (this.#bridging && this.#mode === GrpcWebMode.Text) this.#encoder = new Base64Encoder();
  }

  responseTrailerFilter(trailers: HeaderList): Buffer | undefined {
    if (!this.#bridging) return undefined;
    return trailerFrame(trailers);
  }

  responseBodyPassThrough(): boolean {
    return this.#encoder === undefined;
  }

  responseBodyFilter(body: Buffer | null, endOfStream: boolean): BodyFilterResult {
    const encoder = this.#encoder;
    if (encoder === undefined) return undefined;
    const head = body === null ? null : encoder.push(body);
    if (!endOfStream) return head;
    const tail = encoder.end();
    return head === null ? tail : Buffer.concat([head, tail]);
  }
}

/** Adds gRPC-web bridging to a proxy: `modules.addModule(new GrpcWebBuilder())`. */
export class GrpcWebBuilder implements HttpModuleBuilder {
  init(): HttpModule {
    return new GrpcWeb();
  }
}
