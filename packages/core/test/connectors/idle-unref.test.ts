import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { httpOrigin } from '../../../../tooling/test-servers.ts';

const coreEntry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const httpEntry = fileURLToPath(new URL('../../../http/src/index.ts', import.meta.url));

describe('idle pooled connections', () => {
  it('do not keep the process alive', async () => {
    await using origin = await httpOrigin();
    // A separate Node process makes one pooled request and must then exit on its own.
    const script = `
      const { HttpConnector, HttpPeer } = await import(${JSON.stringify(coreEntry)});
      const { RequestHeader } = await import(${JSON.stringify(httpEntry)});
      const connector = new HttpConnector();
      const peer = new HttpPeer('127.0.0.1:${origin.port}');
      const { session } = await connector.getHttpSession(peer);
      session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 't'));
      await session.readResponseHeader();
      while ((await session.readBodyChunk()) !== null) {}
      connector.releaseHttpSession(session, peer);
      console.log('pooled', connector.idleCount);
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@pingora-ts/source', '--input-type=module', '-e', script],
        { timeout: 15_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(out.trim()).toBe('pooled 1');
  });
});
