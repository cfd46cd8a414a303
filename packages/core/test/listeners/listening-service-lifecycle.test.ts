/**
 * ListeningService lifecycle details: `await using` on a run, option checks,
 * and the linger bound on a socket whose peer never reads.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ListeningService, Server } from '../../src/index.ts';
import { quietLogger } from '../server/utils/quiet.ts';
import { Echo, port, roundTrip, run, stopRunsAfterEach } from './utils/harness.ts';

stopRunsAfterEach();

describe('await using', () => {
  it('a run used with `await using` is shut down when the scope ends', async () => {
    const service = new ListeningService('scoped', new Echo()).addTcp('127.0.0.1:0');
    let p = 0;
    {
      const server = new Server({ logger: quietLogger });
      server.addService(service);
      await using r = server.run();
      await r.ready;
      p = port((await service.listening)[0]);
      expect(await roundTrip({ port: p }, 'scoped')).toBe('scoped');
    }
    const refused = await new Promise<boolean>((res) => {
      const s = connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(false);
      });
      s.once('error', () => res(true));
    });
    expect(refused).toBe(true);
  });
});

describe('ListeningService options', () => {
  it('refuses a non-positive maxConnections or lingerMs', () => {
    expect(() => new ListeningService('x', new Echo(), { maxConnections: 0 })).toThrow(
      /maxConnections must be a positive integer/,
    );
    expect(() => new ListeningService('x', new Echo(), { lingerMs: 1.5 })).toThrow(
      /lingerMs must be a positive integer/,
    );
  });

  it('destroys a socket whose peer neither reads nor closes after the linger time', async () => {
    const service = new ListeningService(
      'linger',
      {
        processNewConnection(stream) {
          // More than the socket buffers hold: end() cannot finish while the peer does not read.
          stream.socket.write(Buffer.alloc(16 * 1024 * 1024));
        },
      },
      { lingerMs: 200 },
    ).addTcp('127.0.0.1:0');
    run(service);
    const p = port((await service.listening)[0]);
    const client = connect(p, '127.0.0.1');
    client.on('error', () => {});
    client.pause();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const deadline = Date.now() + 5_000;
    while (service.connectionsInFlight === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(service.connectionsInFlight).toBe(1);
    while (service.connectionsInFlight > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(service.connectionsInFlight).toBe(0);
    client.resume();
    await closed;
  });
});
