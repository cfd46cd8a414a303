/**
 * Peer: Varnish Cache from Debian as the other caching proxy of the cache
 * section: one thread pool, 64 MiB malloc storage, every origin response
 * cached for an hour (`beresp.ttl` in the VCL; the origin sends no cache
 * headers), foreground, its work directory in the run's directory.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const varnishCache: Peer = {
  name: 'varnish-cache',
  kind: PeerKind.Cache,
  setup: 'varnishd, thread_pools 1, -s malloc,64m, beresp.ttl 1h (hits after the warm-up)',
  tools: ['varnishd'],
  node: false,
  unavailable: () => undefined,
  start(ctx) {
    mkdirSync(ctx.dir, { recursive: true });
    chmodSync(ctx.dir, 0o755);
    const vcl = join(ctx.dir, 'bench.vcl');
    writeFileSync(
      vcl,
      `vcl 4.1;
backend origin {
  .host = "${ctx.originHost}";
  .port = "${ctx.originPort}";
}
sub vcl_backend_response {
  set beresp.ttl = 1h;
}
`,
    );
    return spawnChild(
      'varnish-cache',
      'varnishd',
      [
        '-F',
        '-j',
        'none',
        '-a',
        `${HOST}:${ctx.port}`,
        '-f',
        vcl,
        '-s',
        'malloc,64m',
        '-n',
        join(ctx.dir, 'varnish'),
        '-p',
        'thread_pools=1',
      ],
      { cpu: ctx.cpu, logPath: join(ctx.dir, 'varnish.log') },
    );
  },
  stop: (child) => child.stop(),
};
