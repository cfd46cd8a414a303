/**
 * diagnostics_channel events of the downstream HTTP/2 layer, for the
 * prometheus package and operators: `pingora-ts:core:h2-session-error` (a
 * connection ended by an HTTP/2 error: a flood the limits caught, a protocol
 * error, or a GOAWAY with an error code from the client) and
 * `pingora-ts:core:h2-stream-skipped` (a stream the client reset before it
 * was started: no app or upstream work was done for it).
 */
import { channel } from 'node:diagnostics_channel';
import type { StreamDigest } from '../../../l4/stream.ts';

export interface H2SessionErrorEvent {
  /** Node's error code (`ERR_HTTP2_ERROR`, ...) or `GOAWAY_<n>` for a client's GOAWAY code n. */
  readonly code: string;
  readonly digest: StreamDigest;
}

export interface H2StreamSkippedEvent {
  readonly digest: StreamDigest;
}

export const h2Channels = {
  sessionError: channel('pingora-ts:core:h2-session-error'),
  streamSkipped: channel('pingora-ts:core:h2-stream-skipped'),
} as const;

/** Publishes `event` on its channel when someone listens. */
export function publishH2(
  name: keyof typeof h2Channels,
  event: H2SessionErrorEvent | H2StreamSkippedEvent,
): void {
  const ch = h2Channels[name];
  if (ch.hasSubscribers) ch.publish(event);
}
