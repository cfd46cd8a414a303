/**
 * One coarse shared timer for every HTTP session deadline (header, body,
 * idle, write), the way undici keeps long timeouts off the per-request path:
 * arming a deadline is two field writes, and a single unref'd interval that
 * runs only while some deadline is armed checks them all every TICK_MS.
 */

/** Deadlines fire up to this late; keep timeouts well above it. */
export const TICK_MS = 100;

/** Something with at most one armed deadline. */
export interface DeadlineOwner {
  /** Epoch ms when the deadline expires; 0 when none is armed. */
  deadline: number;
  /** Called once when the armed deadline has passed (it is cleared first). */
  onDeadline(): void;
}

const owners = new Set<DeadlineOwner>();
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const now = Date.now();
  for (const owner of owners) {
    const d = owner.deadline;
    if (d === 0) {
      owners.delete(owner);
    } else if (d <= now) {
      owner.deadline = 0;
      owners.delete(owner);
      owner.onDeadline();
    }
  }
  if (owners.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Arms `owner`'s deadline `ms` from now (replacing any armed one); ms <= 0 or Infinity disarms. */
export function armDeadline(owner: DeadlineOwner, ms: number): void {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) {
    owner.deadline = 0;
    return;
  }
  owner.deadline = Date.now() + ms;
  owners.add(owner);
  if (timer === undefined) {
    timer = setInterval(tick, TICK_MS);
    timer.unref();
  }
}

/** Disarms `owner`'s deadline (it leaves the set on the next tick). */
export function disarmDeadline(owner: DeadlineOwner): void {
  owner.deadline = 0;
}
