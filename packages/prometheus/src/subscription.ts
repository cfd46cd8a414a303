/**
 * Subscriptions to diagnostics_channel channels by name, made and undone as
 * one group. Handlers run inside the publisher's call, so they must never
 * throw (a throwing subscriber surfaces as an uncaught exception).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export type ChannelHandler = (message: unknown, name: string | symbol) => void;

/** A channel name and the handler to run for each of its messages. */
export type Subscription = readonly [name: string | symbol, handler: ChannelHandler];

export function subscribeAll(subscriptions: readonly Subscription[]): void {
  for (const [name, handler] of subscriptions) subscribe(name, handler);
}

export function unsubscribeAll(subscriptions: readonly Subscription[]): void {
  for (const [name, handler] of subscriptions) unsubscribe(name, handler);
}
