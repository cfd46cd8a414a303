import { afterEach, describe, expect, it } from 'vitest';
import { type DemoOrigin, startDemoOrigin } from '../src/index.ts';

let origin: DemoOrigin | undefined;
afterEach(async () => {
  await origin?.close();
  origin = undefined;
});

describe('startDemoOrigin', () => {
  it('answers with its name and the request line, as HTML or JSON', async () => {
    origin = await startDemoOrigin('origin-a', 'text/html; charset=utf-8');
    const html = await fetch(`http://${origin.address}/x?y=1`);
    expect(html.status).toBe(200);
    expect(await html.text()).toBe('<h1>origin-a</h1><p>GET /x?y=1</p>\n');
    await origin.close();

    origin = await startDemoOrigin('origin-b', 'application/json');
    const json = await fetch(`http://${origin.address}/api`, { method: 'POST', body: 'ignored' });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ origin: 'origin-b', method: 'POST', url: '/api' });
  });
});
