/**
 * Asserts that a call throws a PingoraError of type InvalidHTTPHeader (and,
 * optionally, that its message names something, e.g. the header).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { expect } from 'vitest';

export function expectInvalid(fn: () => unknown, mentions?: string): PingoraError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an InvalidHTTPHeader error').toBeDefined();
  if (!PingoraError.is(caught)) throw caught;
  expect(caught.type).toBe(ErrorType.InvalidHTTPHeader);
  if (mentions !== undefined) expect(caught.message).toContain(mentions);
  return caught;
}
