/**
 * Aggregates a V8 .cpuprofile (from `node --cpu-prof`): self time per
 * function and per source file, native work by caller, and the inclusive time
 * of our own functions, top first. Frames of bundled dist/ files
 * are mapped back to their TypeScript sources through the sibling .map file
 * when there is one, so a hot spot is named as `function (packages/x/src/y.ts:line)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Samples counted (in the window, not idle). */
  samples: number;
  /** True when only the given window was counted. */
  windowed: boolean;
  functions: HotSpot[];
  files: HotSpot[];
  /** Native frames (writes, copies, GC-free C++ work) by the JavaScript function that called them. */
  nativeCallers: HotSpot[];
  /** Our own functions (packages/, apps/) by total time, callees included. */
  ourInclusive: HotSpot[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const maps = new Map<string, SourceMap | undefined>();

function sourceMapFor(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    const mapPath = `${file}.map`;
    try {
      if (existsSync(mapPath)) map = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

function shortPath(file: string): string {
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + 1);
  return file.startsWith(ROOT) ? relative(ROOT, file) : file;
}

/** Where a frame's code lives: "file:line" (1-based), or a V8 pseudo-frame's name. */
function locate(frame: CallFrame): { name: string; file: string; line: number } {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return { name, file: name.startsWith('(') ? name : '(native)', line: 0 };
  if (!frame.url.startsWith('file://'))
    return { name, file: frame.url, line: frame.lineNumber + 1 };
  const file = fileURLToPath(frame.url);
  const map = sourceMapFor(file);
  if (map !== undefined && frame.lineNumber >= 0) {
    const entry = map.findEntry(frame.lineNumber, Math.max(0, frame.columnNumber));
    if ('originalSource' in entry && typeof entry.originalSource === 'string') {
      const src = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : new URL(entry.originalSource, frame.url).pathname;
      return { name, file: shortPath(src), line: entry.originalLine + 1 };
    }
  }
  return { name, file: shortPath(file), line: frame.lineNumber + 1 };
}

function top(
  map: Map<string, { name: string; where: string; us: number }>,
  totalUs: number,
  n: number,
): HotSpot[] {
  return [...map.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: e.us / 1000,
      selfPct: (100 * e.us) / totalUs,
    }));
}

/** A span of the monotonic clock (process.hrtime, µs), which V8 stamps samples with too. */
export interface TimeWindow {
  startUs: number;
  endUs: number;
}

type Tally = Map<string, { name: string; where: string; us: number }>;

function add(map: Tally, key: string, name: string, where: string, us: number): void {
  const e = map.get(key);
  if (e === undefined) map.set(key, { name, where, us });
  else e.us += us;
}

const isOurs = (file: string) => file.startsWith('packages/') || file.startsWith('apps/');

/**
 * Self time by function and by file; native frames (socket writes, buffer
 * copies) charged to the JavaScript function that called them; and total
 * (inclusive) time of our own functions. `(idle)` is left out. With a
 * `window`, only samples inside it count (the measured run, without start-up
 * and warm-up), unless none falls inside, then all do.
 */
export function summarizeProfile(path: string, n = 20, window?: TimeWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const located = new Map<number, { name: string; file: string; line: number; where: string }>();
  const at = (id: number) => {
    let loc = located.get(id);
    if (loc === undefined) {
      const l = locate(byId.get(id)!.callFrame);
      loc = { ...l, where: l.line > 0 ? `${l.file}:${l.line}` : l.file };
      located.set(id, loc);
    }
    return loc;
  };
  const fns: Tally = new Map();
  const files: Tally = new Map();
  const natives: Tally = new Map();
  const inclusive: Tally = new Map();
  const lastAt = profile.startTime + profile.timeDeltas.reduce((a, d) => a + d, 0);
  const span =
    window !== undefined && lastAt >= window.startUs && profile.startTime <= window.endUs
      ? window
      : undefined;
  let totalUs = 0;
  let counted = 0;
  let t = profile.startTime;
  // timeDeltas[i] is the time before sample i; it is charged to that sample.
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    t += us;
    if (span !== undefined && (t < span.startUs || t > span.endUs)) continue;
    const id = profile.samples[i]!;
    const node = byId.get(id);
    if (node === undefined || us <= 0 || node.callFrame.functionName === '(idle)') continue;
    counted++;
    totalUs += us;
    const loc = at(id);
    add(fns, `${loc.name}@${loc.where}`, loc.name, loc.where, us);
    add(files, loc.file, loc.file, '', us);
    const seen = new Set<string>();
    let caller: { name: string; where: string } | undefined;
    let ourCaller: { name: string; where: string } | undefined;
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      if (byId.get(p)!.callFrame.url === '') continue;
      const l = at(p);
      caller ??= l;
      if (!isOurs(l.file)) continue;
      ourCaller ??= l;
      const key = `${l.name}@${l.where}`;
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, l.name, l.where, us);
      }
    }
    if (node.callFrame.url === '' && caller !== undefined) {
      // The JavaScript caller, and the first of our functions above it.
      let label = `${loc.name} <- ${caller.name} (${caller.where})`;
      if (ourCaller !== undefined && ourCaller !== caller) {
        label += ` <- ${ourCaller.name} (${ourCaller.where})`;
      }
      add(natives, label, label, '', us);
    }
  }
  return {
    totalMs: totalUs / 1000,
    samples: counted,
    windowed: span !== undefined,
    functions: top(fns, totalUs, n),
    files: top(files, totalUs, Math.ceil(n / 2)),
    nativeCallers: top(natives, totalUs, Math.ceil(n / 2)),
    ourInclusive: top(inclusive, totalUs, n),
  };
}

function section(lines: string[], title: string, spots: readonly HotSpot[], withWhere: boolean) {
  lines.push(`  ${title}`);
  for (const f of spots) {
    const what = withWhere && f.where !== '' ? `${f.name} (${f.where})` : f.name;
    lines.push(
      `  ${f.selfPct.toFixed(1).padStart(6)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${what}`,
    );
  }
}

/** The summary as text: functions, files, native work by caller, our functions' totals. */
export function formatProfile(path: string, s: ProfileSummary): string {
  const lines = [
    `CPU profile ${path}: ${s.totalMs.toFixed(0)} ms busy in ${s.samples} samples ` +
      `(${s.windowed ? 'measured run only' : 'whole process life'}, idle excluded)`,
  ];
  section(lines, 'self time by function (source):', s.functions, true);
  section(lines, 'self time by file:', s.files, false);
  section(
    lines,
    'native frames by caller (and our first function above it):',
    s.nativeCallers,
    true,
  );
  section(lines, 'total (inclusive) time of pingora-ts functions:', s.ourInclusive, true);
  return lines.join('\n');
}
