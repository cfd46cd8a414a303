/**
 * A small pooling UpstreamConnector for tests: H1ClientSessions over
 * connectL4, kept per peer when released clean. Counts what it did so tests
 * can assert reuse and that broken connections are never pooled.
 */
import {
  connectL4,
  H1ClientSession,
  type HttpClientSession,
  type HttpPeer,
} from '@pingora-ts/core';
import type { UpstreamConnector, UpstreamSessionLease } from '../../src/upstream-connector.ts';

export class TestConnector implements UpstreamConnector {
  readonly idle = new Map<string, HttpClientSession[]>();
  connects = 0;
  reuses = 0;
  releases = 0;

  async getHttpSession(peer: HttpPeer): Promise<UpstreamSessionLease> {
    const list = this.idle.get(peer.reuseHash());
    while (list !== undefined && list.length > 0) {
      const s = list.pop()!;
      if (!s.closed) {
        this.reuses++;
        return { session: s, reused: true };
      }
    }
    const stream = await connectL4(peer);
    this.connects++;
    const timeout = peer.options.readTimeout;
    return {
      session: new H1ClientSession(
        stream.socket,
        timeout === undefined ? {} : { readTimeoutMs: timeout },
      ),
      reused: false,
    };
  }

  releaseHttpSession(session: HttpClientSession, peer: HttpPeer): void {
    if (!session.reusable()) {
      session.destroy();
      return;
    }
    this.releases++;
    const key = peer.reuseHash();
    const list = this.idle.get(key) ?? [];
    list.push(session);
    this.idle.set(key, list);
  }

  pooledCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.filter((s) => !s.closed).length;
    return n;
  }

  close(): void {
    for (const list of this.idle.values()) for (const s of list) s.destroy();
    this.idle.clear();
  }
}
