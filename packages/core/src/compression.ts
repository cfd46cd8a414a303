/**
 * @pingora-ts/core/compression: the pieces of the response compression
 * module that other packages reuse (Accept-Encoding negotiation for the
 * metrics endpoint, the streaming codec). Applications add compression with
 * the main entry's ResponseCompressionBuilder.
 */
export {
  chooseEncoding,
  parseAcceptEncoding,
} from './modules/http/compression/accept-encoding.ts';
export { isCompressibleType } from './modules/http/compression/compressible.ts';
export {
  type ResolvedCompressionOptions,
  resolveCompressionOptions,
} from './modules/http/compression/response-compression.ts';
export { StreamCodec, type StreamCodecStats } from './modules/http/compression/stream-codec.ts';
