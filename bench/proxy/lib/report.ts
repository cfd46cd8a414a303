/**
 * Turns the results into the report: one Markdown table per workload
 * (median with min–max over the rounds, and our ratio to each peer), then the
 * issue's targets with the measured ratios and a verdict. Markdown so the
 * same text reads in a terminal and pastes into the README.
 */
import type { Machine } from './machine.ts';
import type { Options } from './options.ts';
import { WORKLOADS, type WorkloadName } from './origin.ts';
import { type Peer, PeerKind } from './peer.ts';
import type { Results } from './results.ts';
import type { Summary } from './stats.ts';

const OURS = 'pingora-ts';

function num(n: number, digits: number): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function range(s: Summary | undefined, digits: number): string {
  if (s === undefined) return '–';
  if (s.n === 1) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}x`;
}

/** A Markdown table padded so that it also reads as plain text. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (right[i] === true ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (right[i] === true ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

function workloadTable(peers: readonly Peer[], results: Results, w: WorkloadName): string {
  const ours = results.summary(OURS, w, 'rps')?.median;
  const oursP99 = results.summary(OURS, w, 'p99Ms')?.median;
  const oursPerCpu = results.summary(OURS, w, 'reqPerCpuSec')?.median;
  const rows = peers.map((p) => {
    const rps = results.summary(p.name, w, 'rps');
    const p99 = results.summary(p.name, w, 'p99Ms');
    const perCpu = results.summary(p.name, w, 'reqPerCpuSec');
    const cell = results.cell(p.name, w);
    const errors = cell.samples.reduce((a, s) => a + s.errors, 0);
    const failed = cell.failures.length > 0 ? ` (${cell.failures.length} failed)` : '';
    return [
      `${p.name}${failed}`,
      range(rps, 0),
      range(results.summary(p.name, w, 'p50Ms'), 2),
      range(p99, 2),
      range(results.summary(p.name, w, 'cpuPct'), 0),
      range(perCpu, 0),
      range(results.summary(p.name, w, 'userUsPerReq'), 1),
      range(results.summary(p.name, w, 'sysUsPerReq'), 1),
      range(results.summary(p.name, w, 'allocBytesPerReq'), 0),
      range(results.summary(p.name, w, 'gcPctOfCpu'), 1),
      range(results.summary(p.name, w, 'rssMiB'), 1),
      range(results.summary(p.name, w, 'upstreamConns'), 0),
      String(errors),
      p.name === OURS ? '–' : ratio(ours, rps?.median),
      p.name === OURS ? '–' : ratio(oursPerCpu, perCpu?.median),
      p.name === OURS ? '–' : ratio(oursP99, p99?.median),
    ];
  });
  return table(
    [
      'peer',
      'req/s',
      'p50 ms',
      'p99 ms',
      'proxy CPU %',
      'req per CPU-s',
      'user µs/req',
      'kernel µs/req',
      'alloc B/req',
      'GC % of CPU',
      'peak RSS MiB',
      'upstream conns',
      'errors',
      'ours ÷ peer req/s',
      'ours ÷ peer req per CPU-s',
      'ours ÷ peer p99',
    ],
    rows,
    [false, ...Array.from({ length: 15 }, () => true)],
  );
}

interface Target {
  what: string;
  measured: string;
  /** The same ratio per proxy CPU-second, for req/s targets ('' otherwise). */
  perCpu: string;
  ok: boolean | undefined;
}

function targets(peers: readonly Peer[], results: Results, o: Options): Target[] {
  const med = (peer: string, w: WorkloadName, m: 'rps' | 'p99Ms' | 'reqPerCpuSec') =>
    results.summary(peer, w, m)?.median;
  const div = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
  const x = (r: number | undefined) => (r === undefined ? 'not measured' : `${r.toFixed(2)}x`);
  const out: Target[] = [];
  const atLeast = (what: string, w: WorkloadName, peer: string | undefined, factor: number) => {
    const r = peer === undefined ? undefined : div(med(OURS, w, 'rps'), med(peer, w, 'rps'));
    const c =
      peer === undefined
        ? undefined
        : div(med(OURS, w, 'reqPerCpuSec'), med(peer, w, 'reqPerCpuSec'));
    out.push({ what, measured: x(r), perCpu: x(c), ok: r === undefined ? undefined : r >= factor });
  };
  if (o.workloads.includes('small')) {
    atLeast('small: req/s >= 0.6x nginx', 'small', 'nginx', 0.6);
    let best: { name: string; rps: number } | undefined;
    for (const p of peers.filter((p) => p.kind === PeerKind.NodeProxy)) {
      const r = med(p.name, 'small', 'rps');
      if (r !== undefined && (best === undefined || r > best.rps)) best = { name: p.name, rps: r };
    }
    atLeast(
      `small: req/s >= 2x the best Node proxy (${best?.name ?? 'none run'})`,
      'small',
      best?.name,
      2,
    );
  }
  if (o.workloads.includes('64k')) atLeast('64k: req/s >= 1.0x nginx', '64k', 'nginx', 1);
  // The cache section: hits of our cache against nginx proxy_cache and against our own miss path.
  const CACHE = 'pingora-ts-cache';
  if (peers.some((p) => p.name === CACHE)) {
    for (const w of o.workloads) {
      const vs = (peer: string, factor: number, what: string) => {
        const r = div(med(CACHE, w, 'rps'), med(peer, w, 'rps'));
        const c = div(med(CACHE, w, 'reqPerCpuSec'), med(peer, w, 'reqPerCpuSec'));
        out.push({
          what,
          measured: x(r),
          perCpu: x(c),
          ok: r === undefined ? undefined : r >= factor,
        });
      };
      vs('nginx-cache', 0.6, `${w}: cache hits req/s >= 0.6x nginx proxy_cache`);
      vs('varnish-cache', 0.6, `${w}: cache hits req/s >= 0.6x Varnish`);
      vs(OURS, 1.5, `${w}: cache hits req/s >= 1.5x our proxied (miss) path`);
    }
  }
  for (const w of o.workloads) {
    const r = div(med(OURS, w, 'p99Ms'), med('nginx', w, 'p99Ms'));
    out.push({
      what: `${w}: p99 <= 2x nginx's`,
      measured: x(r),
      perCpu: '',
      ok: r === undefined ? undefined : r <= 2,
    });
  }
  const all = o.workloads.flatMap((w) => results.cell(OURS, w).samples);
  const maxRss = all.length > 0 ? Math.max(...all.map((s) => s.rssMiB)) : undefined;
  out.push({
    what: 'peak RSS < 80 MiB (worst run)',
    measured: maxRss === undefined ? 'not measured' : `${maxRss.toFixed(1)} MiB`,
    perCpu: '',
    ok: maxRss === undefined ? undefined : maxRss < 80,
  });
  const relay = o.workloads.flatMap((w) => results.cell('node-tcp-relay', w).samples);
  const maxRelay = relay.length > 0 ? Math.max(...relay.map((s) => s.rssMiB)) : undefined;
  const rssRatio = div(maxRss, maxRelay);
  out.push({
    what: "peak RSS <= 1.3x node-tcp-relay's (worst runs)",
    measured: x(rssRatio),
    perCpu: '',
    ok: rssRatio === undefined ? undefined : rssRatio <= 1.3,
  });
  const maxConns = all.length > 0 ? Math.max(...all.map((s) => s.upstreamConns)) : undefined;
  out.push({
    what: `upstream conns <= ${o.connections} client connections (worst run)`,
    measured: maxConns === undefined ? 'not measured' : String(maxConns),
    perCpu: '',
    ok: maxConns === undefined ? undefined : maxConns <= o.connections,
  });
  return out;
}

/** The CPU-per-request split of ours against nginx (and the relay), per workload. */
function cpuSplit(peers: readonly Peer[], results: Results, o: Options): string | undefined {
  const names = [OURS, 'nginx', 'node-tcp-relay'].filter((n) => peers.some((p) => p.name === n));
  if (!names.includes(OURS) || names.length < 2) return undefined;
  const rows: string[][] = [];
  for (const w of o.workloads) {
    const u0 = results.summary(OURS, w, 'userUsPerReq')?.median;
    const k0 = results.summary(OURS, w, 'sysUsPerReq')?.median;
    for (const n of names) {
      const u = results.summary(n, w, 'userUsPerReq')?.median;
      const k = results.summary(n, w, 'sysUsPerReq')?.median;
      rows.push([
        w,
        n,
        u === undefined ? '–' : num(u, 1),
        k === undefined ? '–' : num(k, 1),
        n === OURS ? '–' : ratio(u0, u),
        n === OURS ? '–' : ratio(k0, k),
      ]);
    }
  }
  return [
    '### CPU per request (user and kernel µs, proxy process, medians)',
    '',
    table(
      [
        'workload',
        'peer',
        'user µs/req',
        'kernel µs/req',
        'ours ÷ peer user',
        'ours ÷ peer kernel',
      ],
      rows,
      [false, false, true, true, true, true],
    ),
  ].join('\n');
}

export interface ReportInput {
  options: Options;
  machine: Machine;
  peers: readonly Peer[];
  results: Results;
  notes: readonly string[];
  elapsedSec: number;
}

export function formatReport({
  options: o,
  machine,
  peers,
  results,
  notes,
  elapsedSec,
}: ReportInput): string {
  const out: string[] = [];
  out.push(`## Proxy benchmark, ${machine.date}`, '');
  for (const l of machine.lines) out.push(`- ${l}`);
  out.push(
    `- command: \`${o.command}\` (${elapsedSec.toFixed(0)} s)`,
    `- wrk -t${o.threads} -c${o.connections}, keep-alive, ${o.warmupSec} s warm-up + ${o.durationSec} s measured, ${o.rounds} round(s), peers interleaved; ` +
      (o.proxyCpu === undefined
        ? 'no CPU pinning'
        : `proxy on CPU ${o.proxyCpu}, origin (nginx, 1 worker) and wrk on CPU ${o.loadCpu}`),
    "- cells: median (min–max) over the rounds; user and kernel µs/req: the proxy's CPU time per request from /proc/<pid>/stat (10 ms ticks), split into user mode and kernel; alloc B/req and GC % of CPU (Node peers only): bytes allocated on the V8 heap per request and GC pause time as a share of the proxy's CPU time, from a preloaded v8.GCProfiler (servers/gc-stats.mjs); upstream conns: connections the origin accepted from the proxy during the measured run (wrk opens its connections afresh after the warm-up); proxy CPU: its CPU time over the measured run, in % of one core (near 100: the proxy was the bottleneck; well under: the load side or other load on the machine was); req per CPU-s: requests per second of the proxy's own CPU time, its cost per request, which a busy machine disturbs less than req/s; peak RSS: VmHWM summed over the proxy's processes",
    '',
  );
  for (const w of o.workloads) {
    out.push(`### ${w} response (${WORKLOADS[w].bodyBytes} B body, GET ${WORKLOADS[w].path})`, '');
    out.push(workloadTable(peers, results, w), '');
  }
  const split = cpuSplit(peers, results, o);
  if (split !== undefined) out.push(split, '');
  if (peers.some((p) => p.name === OURS)) {
    const rows = targets(peers, results, o).map((t) => [
      t.what,
      t.measured,
      t.ok === undefined ? '–' : t.ok ? 'met' : 'MISSED',
      t.perCpu,
    ]);
    out.push(
      '### Targets for pingora-ts',
      '',
      table(['target', 'measured', 'verdict', 'same ratio per proxy CPU-second'], rows, [
        false,
        true,
        false,
        true,
      ]),
      '',
    );
  }
  out.push('### Peers', '');
  for (const p of peers) out.push(`- ${p.name} (${p.kind}): ${p.setup}`);
  if (notes.length > 0) {
    out.push('', '### Notes', '');
    for (const n of notes) out.push(`- ${n}`);
  }
  return `${out.join('\n')}\n`;
}
