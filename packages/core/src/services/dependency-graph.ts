/**
 * DependencyGraph: which service waits for which, checked when the server
 * bootstraps. It yields a start order (dependencies first, otherwise in the
 * order services were added) and refuses a cycle or a missing dependency with
 * a message naming the services involved.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';

export class DependencyGraph {
  /** service name -> names it depends on, in insertion order. */
  readonly #deps = new Map<string, Set<string>>();

  has(name: string): boolean {
    return this.#deps.has(name);
  }

  add(name: string): void {
    if (this.#deps.has(name)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `a service named "${name}" was already added; service names must be unique`,
      );
    }
    this.#deps.set(name, new Set());
  }

  addDependency(dependent: string, dependency: string): void {
    const set = this.#deps.get(dependent);
    if (set === undefined) {
      throw PingoraError.explain(ErrorType.ConfigError, `unknown service "${dependent}"`);
    }
    set.add(dependency);
  }

  dependenciesOf(name: string): string[] {
    return [...(this.#deps.get(name) ?? [])];
  }

  /**
   * Service names, each after everything it depends on. Throws a ConfigError
   * for a dependency that was never added or for a cycle (the message lists
   * the cycle: `a -> b -> a`).
   */
  startOrder(): string[] {
    for (const [name, deps] of this.#deps) {
      for (const dep of deps) {
        if (!this.#deps.has(dep)) {
          throw PingoraError.explain(
            ErrorType.ConfigError,
            `service "${name}" depends on "${dep}", which is not a service of this server`,
          );
        }
      }
    }
    const order: string[] = [];
    // 0: not visited, 1: on the current path, 2: done.
    const state = new Map<string, 0 | 1 | 2>();
    const path: string[] = [];
    const visit = (name: string): void => {
      const s = state.get(name) ?? 0;
      if (s === 2) return;
      if (s === 1) {
        const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
        throw PingoraError.explain(ErrorType.ConfigError, `circular service dependency: ${cycle}`);
      }
      state.set(name, 1);
      path.push(name);
      for (const dep of this.#deps.get(name) ?? []) visit(dep);
      path.pop();
      state.set(name, 2);
      order.push(name);
    };
    for (const name of this.#deps.keys()) visit(name);
    return order;
  }
}
