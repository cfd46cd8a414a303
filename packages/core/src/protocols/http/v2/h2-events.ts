/**
 * diagnostics_channel events of the HTTP/2 layer, for the prometheus
 * package and operators: `pingora-ts:core:h2-goaway` (a connection ended
 * with an error code) and `pingora-ts:core:h2-stream-skipped` (a stream the
 * client reset before it was started: no app or upstream work was done).
 */
import { channel } from 'node:diagnostics_channel';

export const h2Channels = {
  goaway: channel('pingora-ts:core:h2-goaway'),
  streamSkipped: channel('pingora-ts:core:h2-stream-skipped'),
} as const;

/** Publishes `event` on its channel when someone listens. */
export function publishH2(name: keyof typeof h2Channels, event: object): void {
  const ch = h2Channels[name];
  if (ch.hasSubscribers) ch.publish(event);
}
