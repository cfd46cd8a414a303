/**
 * FileWatch: calls back once after the watched files change, debounced. It
 * watches the files' directories (not the files), so a certificate replaced
 * by rename or a symlink swap (certbot, Kubernetes secrets) is seen too.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export class FileWatch {
  readonly #watchers: FSWatcher[] = [];
  readonly #timerMs: number;
  readonly #onChange: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    paths: readonly string[],
    debounceMs: number,
    onChange: () => void,
    onError: (err: unknown) => void,
  ) {
    this.#timerMs = debounceMs;
    this.#onChange = onChange;
    const byDir = new Map<string, Set<string>>();
    for (const p of paths) {
      const full = resolve(p);
      const dir = dirname(full);
      const names = byDir.get(dir) ?? new Set<string>();
      names.add(basename(full));
      byDir.set(dir, names);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          // Some platforms give no name: treat any change in the directory as ours.
          // No name (some platforms): any change may be ours. `..data` is a Kubernetes secret swap.
          if (name === null || names.has(String(name)) || String(name) === '..data')
            this.#schedule();
        });
        w.on('error', onError);
        this.#watchers.push(w);
      } catch (err) {
        onError(err);
      }
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onChange();
    }, this.#timerMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
  }
}
