/**
 * Preloaded into every Node peer (`--import`): counts the bytes the process
 * allocates on the V8 heap and the time spent in GC, and writes the running
 * totals to `$PINGORA_BENCH_GC_STATS.<thread id>` every 100 ms, so the runner
 * reads them before and after the measured run (bytes per request, GC share
 * of the proxy's CPU). Allocation is what the young generation saw between
 * collections: heap used before each GC minus heap used after the previous.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';

const base = process.env.PINGORA_BENCH_GC_STATS;
if (base !== undefined && base !== '') {
  const path = `${base}.${threadId}`;
  let profiler = new GCProfiler();
  profiler.start();
  let allocated = 0;
  let gcMs = 0;
  let gcs = 0;
  let lastAfter = getHeapStatistics().used_heap_size;
  const flush = () => {
    const data = profiler.stop();
    profiler = new GCProfiler();
    profiler.start();
    for (const s of data?.statistics ?? []) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - lastAfter);
      lastAfter = s.afterGC.heapStatistics.usedHeapSize;
      // `cost` is in microseconds.
      gcMs += s.cost / 1000;
      gcs++;
    }
    const now = getHeapStatistics().used_heap_size;
    const pending = Math.max(0, now - lastAfter);
    // Written aside and renamed, so the runner never reads half a file.
    writeFileSync(`${path}.tmp`, JSON.stringify({ allocated: allocated + pending, gcMs, gcs }));
    renameSync(`${path}.tmp`, path);
  };
  setInterval(flush, 100).unref();
  flush();
}
