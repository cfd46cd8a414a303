/**
 * Test helpers to scrape a metrics endpoint over node:http and read the text
 * exposition: samples by name and labels, and bounded polling until a value
 * shows up (events are counted asynchronously to the requests causing them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest as sharedRequest, type TestResponse } from '../../../../tooling/test-http.ts';

/** One request on a fresh connection; bounded by a 10 s timeout. */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  return sharedRequest(port, path, { ...options, timeoutMs: 10_000 });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name}`);
  return found[0]?.value;
}

/** Scrapes /metrics and parses it. */
export async function scrape(port: number): Promise<Sample[]> {
  const res = await httpRequest(port, '/metrics');
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return parseExposition(res.body.toString('utf8'));
}

/** Scrapes until `done(samples)` holds (at most 10 s), then returns those samples. */
export async function scrapeUntil(
  port: number,
  done: (samples: Sample[]) => boolean,
): Promise<Sample[]> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i++) {
    const samples = await scrape(port);
    if (done(samples)) return samples;
    if (Date.now() > deadline || i > 500) return samples;
    await sleep(20);
  }
}
