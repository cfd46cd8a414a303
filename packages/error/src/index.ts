/**
 * @pingora-ts/error: the one error type of pingora-ts (mirrors pingora-error).
 */
export { ErrorSource } from './error-source.ts';
export { ErrorType, errorCode, isErrorType } from './error-type.ts';
export {
  errorTypeForCode,
  type FromErrorOptions,
  type IoPhase,
  toPingoraError,
} from './from-node-error.ts';
export { PingoraError, type PingoraErrorOptions } from './pingora-error.ts';
export { decideRetry, type RetryType } from './retry-type.ts';
