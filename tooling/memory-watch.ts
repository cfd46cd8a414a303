/**
 * memoryWatch for tests that prove a transfer streams: samples the memory a
 * process retains (heap and array buffers, after full collections) while a
 * large body goes through, and reports the peak growth. Needs --expose-gc
 * (set in the package's vitest config).
 */

/**
 * Samples retained heap + array buffers every 100 ms; stop() returns the
 * peak growth over the baseline. Code that buffers a body grows with it,
 * code that streams holds a few socket buffers.
 */
export function memoryWatch(): { stop(): number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('memoryWatch needs node --expose-gc');
  const retained = () => {
    // The second collection finishes the first one's array-buffer sweep,
    // which V8 otherwise runs on a background thread that a busy machine starves.
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = retained();
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, retained() - start);
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
