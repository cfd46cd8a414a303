/**
 * The TLS section's report: per certificate and workload a table of every
 * row (median with min–max over the rounds) and our TLS gateway's ratio to
 * each, then the TLS targets: keep-alive TLS /small at least 0.8x our
 * own plaintext, TLS ratios to nginx no worse than the plaintext ones, and
 * full handshakes at least 0.8x nginx's.
 */

import {
  NGINX_PLAIN,
  NGINX_TLS,
  OURS_PLAIN,
  OURS_TLS,
  type TlsSectionPeer,
} from '../peers/tls-peers.ts';
import type { Machine } from './machine.ts';
import { table } from './report.ts';
import { type Summary, summarize } from './stats.ts';
import { CERT_LABELS, type CertKind } from './tls-certs.ts';
import type { TlsSample } from './tls-measure.ts';
import type { TlsOptions, TlsWorkload } from './tls-options.ts';

/** Samples per row, workload and certificate (plaintext rows under every certificate). */
export class TlsResults {
  readonly #cells = new Map<string, { samples: TlsSample[]; failures: string[] }>();

  cell(peer: string, workload: TlsWorkload, cert: CertKind) {
    const key = `${peer}\0${workload}\0${cert}`;
    let c = this.#cells.get(key);
    if (c === undefined) {
      c = { samples: [], failures: [] };
      this.#cells.set(key, c);
    }
    return c;
  }

  summary(peer: string, w: TlsWorkload, cert: CertKind, m: keyof TlsSample): Summary | undefined {
    return summarize(
      this.cell(peer, w, cert)
        .samples.map((s) => s[m])
        .filter((v) => typeof v === 'number'),
    );
  }

  median(peer: string, w: TlsWorkload, cert: CertKind, m: keyof TlsSample): number | undefined {
    return this.summary(peer, w, cert, m)?.median;
  }
}

const fmt = (n: number, d: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const cellText = (s: Summary | undefined, d: number) =>
  s === undefined
    ? '–'
    : s.n === 1
      ? fmt(s.median, d)
      : `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`;
const div = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
const x = (r: number | undefined) => (r === undefined ? '–' : `${r.toFixed(2)}x`);

function workloadTable(
  peers: readonly TlsSectionPeer[],
  r: TlsResults,
  w: TlsWorkload,
  cert: CertKind,
): string {
  const ours = r.median(OURS_TLS, w, cert, 'rps');
  const rows = peers.map((p) => {
    const c = r.cell(p.name, w, cert);
    const failed = c.failures.length > 0 ? ` (${c.failures.length} failed)` : '';
    const tls = c.samples.find((s) => s.tls !== '')?.tls ?? '';
    return [
      `${p.name}${failed}`,
      cellText(r.summary(p.name, w, cert, 'rps'), 0),
      cellText(r.summary(p.name, w, cert, 'p50Ms'), 2),
      w === 'handshake' ? '–' : cellText(r.summary(p.name, w, cert, 'p99Ms'), 2),
      cellText(r.summary(p.name, w, cert, 'cpuPct'), 0),
      cellText(r.summary(p.name, w, cert, 'reqPerCpuSec'), 0),
      cellText(r.summary(p.name, w, cert, 'rssMiB'), 1),
      String(c.samples.reduce((a, s) => a + s.errors, 0)),
      p.name === OURS_TLS ? '–' : x(div(ours, r.median(p.name, w, cert, 'rps'))),
      ...(w === 'handshake' ? [tls] : []),
    ];
  });
  // h2load reports a mean time to connect (TCP plus handshake), not percentiles.
  const latency = w === 'handshake' ? ['connect ms (mean)', 'p99 ms'] : ['p50 ms', 'p99 ms'];
  const head = [
    'row',
    w === 'handshake' ? 'handshakes/s' : 'req/s',
    ...latency,
    'proxy CPU %',
    'req per CPU-s',
    'peak RSS MiB',
    'errors',
    'ours-tls ÷ row',
    ...(w === 'handshake' ? ['negotiated'] : []),
  ];
  return table(
    head,
    rows,
    head.map((_, i) => i > 0 && i < 9),
  );
}

function targets(r: TlsResults, o: TlsOptions): string[][] {
  const rows: string[][] = [];
  const verdict = (v: number | undefined, ok: (v: number) => boolean) =>
    v === undefined ? '–' : ok(v) ? 'met' : 'MISSED';
  /** a ÷ b by req/s and by requests per CPU-second (the cost per request, steadier under load). */
  const both = (a: string, b: string, w: TlsWorkload, cert: CertKind) =>
    [
      div(r.median(a, w, cert, 'rps'), r.median(b, w, cert, 'rps')),
      div(r.median(a, w, cert, 'reqPerCpuSec'), r.median(b, w, cert, 'reqPerCpuSec')),
    ] as const;
  for (const cert of o.certs) {
    const label = CERT_LABELS[cert];
    for (const w of ['small', '64k'] as const) {
      if (!o.workloads.includes(w)) continue;
      if (w === 'small') {
        const [v, c] = both(OURS_TLS, OURS_PLAIN, w, cert);
        rows.push([
          `${label} ${w}: TLS req/s >= 0.8x our plaintext`,
          x(v),
          verdict(v, (n) => n >= 0.8),
          x(c),
        ]);
      }
      const [tls, tlsCpu] = both(OURS_TLS, NGINX_TLS, w, cert);
      const [plain, plainCpu] = both(OURS_PLAIN, NGINX_PLAIN, w, cert);
      rows.push([
        `${label} ${w}: ours÷nginx with TLS >= ours÷nginx plaintext (${x(plain)}; per CPU-s ${x(plainCpu)})`,
        x(tls),
        tls === undefined || plain === undefined ? '–' : tls >= plain ? 'met' : 'MISSED',
        x(tlsCpu),
      ]);
    }
    if (o.workloads.includes('handshake')) {
      const [v, c] = both(OURS_TLS, NGINX_TLS, 'handshake', cert);
      rows.push([
        `${label} full handshakes/s >= 0.8x nginx`,
        x(v),
        verdict(v, (n) => n >= 0.8),
        x(c),
      ]);
    }
  }
  return rows;
}

export function formatTlsReport(input: {
  options: TlsOptions;
  machine: Machine;
  peers: readonly TlsSectionPeer[];
  results: TlsResults;
  notes: readonly string[];
  elapsedSec: number;
}): string {
  const { options: o, machine, peers, results, notes, elapsedSec } = input;
  const out: string[] = [`## Proxy benchmark, TLS section, ${machine.date}`, ''];
  for (const l of machine.lines) out.push(`- ${l}`);
  out.push(
    `- command: \`${o.command}\` (${elapsedSec.toFixed(0)} s)`,
    `- keep-alive: wrk -t1 -c${o.connections}, ${o.warmupSec} s warm-up + ${o.durationSec} s; handshakes: h2load --h1 bursts of ${o.handshakeClients} new connections x 1 request for ${o.durationSec} s; ${o.rounds} round(s), rows interleaved; ` +
      (o.proxyCpu === undefined
        ? 'no CPU pinning'
        : `proxy on CPU ${o.proxyCpu}, origin and load on CPU ${o.loadCpu}`),
    '- plaintext rows ignore the certificate: they are measured once per round and workload and shown under each certificate as the reference',
    '',
  );
  for (const cert of o.certs) {
    for (const w of o.workloads) {
      const what =
        w === 'handshake'
          ? 'full handshakes (new connection per request, GET /small)'
          : `keep-alive GET /${w}`;
      out.push(`### ${CERT_LABELS[cert]}: ${what}`, '', workloadTable(peers, results, w, cert), '');
    }
  }
  if (peers.some((p) => p.name === OURS_TLS)) {
    out.push(
      '### TLS targets for pingora-ts',
      '',
      table(['target', 'measured', 'verdict', 'same ratio per CPU-second'], targets(results, o), [
        false,
        true,
        false,
        true,
      ]),
      '',
    );
  }
  out.push('### Rows', '');
  for (const p of peers) out.push(`- ${p.name} (${p.scheme}): ${p.setup}`);
  if (notes.length > 0) out.push('', '### Notes', '', ...notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}
