/**
 * Aggregates a V8 .cpuprofile (from `node --cpu-prof`) by function: self time
 * per function and per source file, top first. Frames of bundled dist/ files
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
  samples: number;
  functions: HotSpot[];
  files: HotSpot[];
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

/** Self time by function and by file; `(idle)` is left out of the total. */
export function summarizeProfile(path: string, n = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, { name: string; where: string; us: number }>();
  const located = new Map<number, { name: string; file: string; line: number }>();
  let totalUs = 0;
  // timeDeltas[i] is the time before sample i; it is charged to that sample.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const us = profile.timeDeltas[i] ?? 0;
    if (node === undefined || us <= 0) continue;
    if (node.callFrame.functionName === '(idle)') continue;
    let loc = located.get(node.id);
    if (loc === undefined) {
      loc = locate(node.callFrame);
      located.set(node.id, loc);
    }
    totalUs += us;
    const where = loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
    const fkey = `${loc.name}@${where}`;
    const f = fns.get(fkey) ?? { name: loc.name, where, us: 0 };
    f.us += us;
    fns.set(fkey, f);
    const g = files.get(loc.file) ?? { name: loc.file, where: '', us: 0 };
    g.us += us;
    files.set(loc.file, g);
  }
  return {
    totalMs: totalUs / 1000,
    samples: profile.samples.length,
    functions: top(fns, totalUs, n),
    files: top(files, totalUs, Math.ceil(n / 2)),
  };
}

/** The summary as text: a function table and a file table. */
export function formatProfile(path: string, s: ProfileSummary): string {
  const lines = [
    `CPU profile ${path}: ${s.totalMs.toFixed(0)} ms busy in ${s.samples} samples (idle excluded)`,
    '  self %   self ms  function (source)',
  ];
  for (const f of s.functions) {
    lines.push(
      `  ${f.selfPct.toFixed(1).padStart(6)}  ${f.selfMs.toFixed(0).padStart(8)}  ${f.name} (${f.where})`,
    );
  }
  lines.push('  self %   self ms  file');
  for (const f of s.files) {
    lines.push(
      `  ${f.selfPct.toFixed(1).padStart(6)}  ${f.selfMs.toFixed(0).padStart(8)}  ${f.name}`,
    );
  }
  return lines.join('\n');
}
