/**
 * The HTTP/2 section's Markdown: per mode (h2c, h2 over TLS) one table of
 * every cell and peer (median and range over the rounds of req/s and of the
 * peer's CPU microseconds per request), then our ratios to nginx and to the
 * node:http2 relay, and the targets with the measured ratios.
 */
import { summarize } from '../lib/stats.ts';
import { H2Mode, type H2Peer, NGINX_H2, OURS_H2, RELAY_H2 } from './peers.ts';

export interface H2Sample {
  readonly rps: number;
  /** The peer's CPU time (user + system, all its processes) per succeeded request. */
  readonly cpuUsPerReq: number;
  readonly meanMs: number;
  readonly failed: number;
}

export interface H2Cell {
  readonly mode: H2Mode;
  readonly workload: string;
  readonly shape: string;
}

export function cellKey(c: H2Cell): string {
  return `${c.mode} ${c.workload} ${c.shape}`;
}

export class H2Results {
  readonly #samples = new Map<string, H2Sample[]>();

  add(cell: H2Cell, peer: string, s: H2Sample): void {
    const k = `${cellKey(cell)}|${peer}`;
    let list = this.#samples.get(k);
    if (list === undefined) {
      list = [];
      this.#samples.set(k, list);
    }
    list.push(s);
  }

  get(cell: H2Cell, peer: string): readonly H2Sample[] {
    return this.#samples.get(`${cellKey(cell)}|${peer}`) ?? [];
  }
}

const median = (values: readonly number[]) => summarize(values)?.median ?? Number.NaN;

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';

function spread(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '–';
  const m = fmt(median(values), digits);
  if (values.length === 1) return m;
  return `${m} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
}

/** Ours over `peer`: req/s ratio and per-CPU ratio (their CPU per request over ours). */
function ratios(results: H2Results, cell: H2Cell, peer: string): [number, number] {
  const ours = results.get(cell, OURS_H2);
  const theirs = results.get(cell, peer);
  if (ours.length === 0 || theirs.length === 0) return [Number.NaN, Number.NaN];
  const rps = median(ours.map((s) => s.rps)) / median(theirs.map((s) => s.rps));
  const cpu = median(theirs.map((s) => s.cpuUsPerReq)) / median(ours.map((s) => s.cpuUsPerReq));
  return [rps, cpu];
}

const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '–');

export interface H2ReportInput {
  readonly title: string;
  readonly setupLines: readonly string[];
  readonly peers: readonly H2Peer[];
  readonly cells: readonly H2Cell[];
  readonly results: H2Results;
  readonly notes: readonly string[];
}

export function formatH2Report(r: H2ReportInput): string {
  const out: string[] = [r.title, '', ...r.setupLines.map((l) => `- ${l}`)];
  out.push(...r.peers.map((p) => `- ${p.name}: ${p.setup}`), '');
  for (const mode of Object.values(H2Mode)) {
    const cells = r.cells.filter((c) => c.mode === mode);
    if (cells.length === 0) continue;
    out.push(`### ${mode === H2Mode.H2c ? 'h2c (prior knowledge)' : 'h2 over TLS (ALPN)'}`, '');
    out.push(
      '| response | h2load | peer | req/s | CPU µs per req | mean ms | failed |',
      '|---|---|---|--:|--:|--:|--:|',
    );
    for (const cell of cells) {
      for (const p of r.peers) {
        const s = r.results.get(cell, p.name);
        if (s.length === 0) continue;
        out.push(
          `| ${cell.workload} | ${cell.shape} | ${p.name} | ${spread(s.map((v) => v.rps))} | ${spread(s.map((v) => v.cpuUsPerReq))} | ${fmt(median(s.map((v) => v.meanMs)), 2)} | ${s.reduce((a, v) => a + v.failed, 0)} |`,
        );
      }
    }
    out.push(
      '',
      '| response | h2load | ours ÷ nginx req/s | ours ÷ nginx per CPU | ours ÷ relay req/s | ours ÷ relay per CPU | target (÷ nginx) |',
      '|---|---|--:|--:|--:|--:|---|',
    );
    for (const cell of cells) {
      const [nr, nc] = ratios(r.results, cell, NGINX_H2);
      const [rr, rc] = ratios(r.results, cell, RELAY_H2);
      const target =
        cell.workload === 'small'
          ? cell.shape === '-c8 -m8'
            ? '>= 0.5x'
            : ''
          : cell.workload === '64k'
            ? '>= 0.8x'
            : '';
      const verdict =
        target === '' || !Number.isFinite(nr)
          ? target
          : `${target}: ${nr >= Number(target.slice(3, -1)) ? 'met' : 'MISSED'} (per CPU ${nc >= Number(target.slice(3, -1)) ? 'met' : 'MISSED'})`;
      out.push(
        `| ${cell.workload} | ${cell.shape} | ${x(nr)} | ${x(nc)} | ${x(rr)} | ${x(rc)} | ${verdict} |`,
      );
    }
    out.push('');
  }
  if (r.notes.length > 0) out.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
