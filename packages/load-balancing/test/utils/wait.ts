/**
 * Polling with a deadline, for tests that wait on background work: bounded in
 * time, so a regression fails with a message instead of hanging.
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

/** Collects log calls of a pino-compatible logger. */
export function recordingLogger() {
  const lines: Array<{ level: 'info' | 'warn'; context: object; message: string }> = [];
  return {
    lines,
    info(context: object, message: string) {
      lines.push({ level: 'info', context, message });
    },
    warn(context: object, message: string) {
      lines.push({ level: 'warn', context, message });
    },
  };
}
