/**
 * Exit hooks: work that must finish before the process exits, such as an
 * error reporter flushing its queue (Pingora drops its Sentry guard on exit).
 * runForever() runs them on every exit path, including an uncaught exception
 * or unhandled rejection, each bounded by one overall timeout.
 */

/** Why the process is exiting; `error` is set for an uncaught exception or rejection. */
export interface ExitInfo {
  readonly code: number;
  readonly error?: unknown;
  /** `uncaughtException` or `unhandledRejection` when `error` is set. */
  readonly origin?: string | undefined;
}

export type ExitHook = (info: ExitInfo) => void | Promise<void>;

/** How long all exit hooks together may take before the process exits anyway. */
export const EXIT_HOOKS_TIMEOUT_MS = 5000;

export class ExitHooks {
  readonly #hooks = new Set<ExitHook>();

  /** Adds a hook; returns the function that removes it. */
  add(hook: ExitHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  /**
   * Runs every hook at once and resolves when all settled or after
   * `timeoutMs`, whichever comes first; a hook's failure goes to `onError`.
   */
  async run(
    info: ExitInfo,
    onError: (err: unknown) => void,
    timeoutMs = EXIT_HOOKS_TIMEOUT_MS,
  ): Promise<void> {
    if (this.#hooks.size === 0) return;
    const all = Promise.allSettled(
      [...this.#hooks].map(async (hook) => {
        try {
          await hook(info);
        } catch (err) {
          onError(err);
        }
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([all, timeout]);
    clearTimeout(timer);
  }
}
