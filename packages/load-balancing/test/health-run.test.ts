import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { ManualClock } from '@pingora-ts/timeout';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  HEALTH_CHANNEL_NAME,
  type HealthChangeEvent,
  type HealthCheck,
  LoadBalancer,
  RoundRobin,
  TcpHealthCheck,
} from '../src/index.ts';
import { closedPort, TestUpstream } from './utils/servers.ts';
import { recordingLogger } from './utils/wait.ts';

/** A check whose verdict per address the test sets. */
class ScriptedCheck implements HealthCheck {
  readonly failing = new Set<string>();
  readonly changes: Array<[string, boolean]> = [];
  checked = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly #success: number;
  readonly #failure: number;
  readonly #delayMs: number;
  constructor(success = 1, failure = 1, delayMs = 0) {
    this.#success = success;
    this.#failure = failure;
    this.#delayMs = delayMs;
  }
  healthThreshold(ok: boolean): number {
    return ok ? this.#success : this.#failure;
  }
  async check(b: Backend): Promise<void> {
    this.checked++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
      if (this.failing.has(b.addr)) {
        throw PingoraError.create(
          ErrorType.ConnectRefused,
          ErrorSource.Upstream,
          `scripted failure of ${b.addr}`,
        );
      }
    } finally {
      this.inFlight--;
    }
  }
  healthStatusChange(b: Backend, healthy: boolean): void {
    this.changes.push([b.addr, healthy]);
  }
}

const events: HealthChangeEvent[] = [];
const onEvent = (message: unknown) => events.push(message as HealthChangeEvent);

afterEach(() => {
  unsubscribe(HEALTH_CHANNEL_NAME, onEvent);
  events.length = 0;
});

describe('health checks in the load balancer', () => {
  it('flips health only after the consecutive thresholds, logging and publishing each change once', async () => {
    subscribe(HEALTH_CHANNEL_NAME, onEvent);
    const logger = recordingLogger();
    const check = new ScriptedCheck(2, 3);
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80', '10.0.0.2:80'], RoundRobin, {
      healthCheck: check,
      logger,
    });
    check.failing.add('10.0.0.1:80');
    await lb.runHealthCheck();
    await lb.runHealthCheck();
    expect(lb.backends().health('10.0.0.1:80')).toMatchObject({ healthy: true, consecutive: 2 });
    await lb.runHealthCheck();
    const down = lb.backends().health('10.0.0.1:80')!;
    expect(down).toMatchObject({ healthy: false, ready: false, consecutive: 0 });
    expect(down.lastError?.message).toContain('scripted failure');
    for (let i = 0; i < 5; i++) expect(lb.select('')!.addr).toBe('10.0.0.2:80');
    await lb.runHealthCheck(); // still failing: no new log line
    check.failing.clear();
    await lb.runHealthCheck();
    expect(lb.backends().health('10.0.0.1:80')?.healthy).toBe(false);
    await lb.runHealthCheck();
    expect(lb.backends().health('10.0.0.1:80')?.ready).toBe(true);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(logger.lines[0]!.message).toContain('10.0.0.1:80');
    expect(events.map((e) => [e.backend.addr, e.ready, e.reason])).toEqual([
      ['10.0.0.1:80', false, 'active-check'],
      ['10.0.0.1:80', true, 'active-check'],
    ]);
    expect(events[0]!.error?.type).toBe('ConnectRefused');
    expect(check.changes).toEqual([
      ['10.0.0.1:80', false],
      ['10.0.0.1:80', true],
    ]);
  });

  it('joins a round already running instead of counting results twice', async () => {
    const check = new ScriptedCheck(1, 2, 30);
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80'], RoundRobin, { healthCheck: check });
    check.failing.add('10.0.0.1:80');
    await Promise.all([lb.runHealthCheck(), lb.runHealthCheck(), lb.runHealthCheck()]);
    expect(check.checked).toBe(1);
    expect(lb.backends().health('10.0.0.1:80')).toMatchObject({ healthy: true, consecutive: 1 });
  });

  it('a non-consecutive failure resets the count', async () => {
    const check = new ScriptedCheck(1, 2);
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80'], RoundRobin, { healthCheck: check });
    for (let i = 0; i < 4; i++) {
      check.failing.add('10.0.0.1:80');
      await lb.runHealthCheck();
      check.failing.clear();
      await lb.runHealthCheck();
    }
    expect(lb.backends().health('10.0.0.1:80')?.healthy).toBe(true);
  });

  it('checks in parallel up to the bound, and one at a time when not parallel', async () => {
    const addrs = Array.from({ length: 12 }, (_, i) => `10.0.1.${i}:80`);
    const check = new ScriptedCheck(1, 1, 30);
    const lb = LoadBalancer.fromAddrs(addrs, RoundRobin, {
      healthCheck: check,
      maxParallelChecks: 4,
    });
    await lb.runHealthCheck(false);
    expect(check.maxInFlight).toBe(1);
    check.maxInFlight = 0;
    await lb.runHealthCheck(true);
    expect(check.maxInFlight).toBe(4);
    check.maxInFlight = 0;
    await lb.runHealthCheck(3);
    expect(check.maxInFlight).toBe(3);
    expect(check.checked).toBe(36);
  });

  it('fails a check that hangs or throws synchronously, without stalling the round', async () => {
    const hanging: HealthCheck = {
      timeoutMs: 100,
      healthThreshold: () => 1,
      check: (b) => (b.addr === '10.0.0.1:80' ? new Promise(() => {}) : Promise.resolve()),
    };
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80', '10.0.0.2:80'], RoundRobin, {
      healthCheck: hanging,
    });
    await lb.runHealthCheck(true);
    expect(lb.backends().health('10.0.0.1:80')).toMatchObject({ healthy: false });
    expect(lb.backends().health('10.0.0.1:80')?.lastError?.type).toBe('ReadTimedout');
    expect(lb.backends().health('10.0.0.2:80')?.healthy).toBe(true);
    const throwing: HealthCheck = {
      healthThreshold: () => 1,
      check: () => {
        throw new Error('bug in a custom check');
      },
    };
    lb.setHealthCheck(throwing);
    await lb.runHealthCheck();
    expect(lb.backends().health('10.0.0.2:80')?.lastError?.message).toContain(
      'bug in a custom check',
    );
  });

  it('marks a real closed port unhealthy with the TCP check (startHealthy false keeps new ones out until checked)', async () => {
    await using up = await new TestUpstream().start();
    const dead = `127.0.0.1:${await closedPort()}`;
    const lb = LoadBalancer.fromAddrs([up.addr, dead], RoundRobin, {
      healthCheck: new TcpHealthCheck(),
      startHealthy: false,
    });
    expect(lb.select('')).toBeUndefined();
    await lb.runHealthCheck(true);
    expect(lb.backends().health(up.addr)?.ready).toBe(true);
    expect(lb.backends().health(dead)?.ready).toBe(false);
    for (let i = 0; i < 4; i++) expect(lb.select('')!.addr).toBe(up.addr);
  });
});

describe('passive health', () => {
  // Hold times run on a clock the tests move: no sleeping.
  let clock = new ManualClock();
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('takes a backend out after consecutive reported failures, and back after the cool-down', async () => {
    subscribe(HEALTH_CHANNEL_NAME, onEvent);
    const logger = recordingLogger();
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80', '10.0.0.2:80'], RoundRobin, {
      passiveHealth: { consecutiveFailures: 3, cooldownMs: 200 },
      logger,
      clock,
    });
    const [b1] = lb.backends().get();
    const err = PingoraError.create(
      ErrorType.ConnectRefused,
      ErrorSource.Upstream,
      'proxy saw it fail',
    );
    expect(lb.reportFailure(b1!, err)).toBe(false);
    expect(lb.reportFailure(b1!, err)).toBe(false);
    lb.reportSuccess(b1!); // not consecutive any more
    expect(lb.reportFailure(b1!, err)).toBe(false);
    expect(lb.reportFailure(b1!, err)).toBe(false);
    expect(lb.reportFailure(b1!, err)).toBe(true);
    expect(lb.backends().health(b1!)).toMatchObject({
      passiveDown: true,
      ready: false,
      healthy: true,
    });
    for (let i = 0; i < 4; i++) expect(lb.select('')!.addr).toBe('10.0.0.2:80');
    clock.advance(199);
    for (let i = 0; i < 4; i++) expect(lb.select('')!.addr).toBe('10.0.0.2:80');
    clock.advance(1);
    const picks = new Set(Array.from({ length: 4 }, () => lb.select('')!.addr));
    expect(picks).toEqual(new Set(['10.0.0.1:80', '10.0.0.2:80']));
    expect(events.map((e) => [e.ready, e.reason])).toEqual([
      [false, 'passive'],
      [true, 'passive-cooldown'],
    ]);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('an active check that readmits a backend after its passive hold ran out says so once', async () => {
    subscribe(HEALTH_CHANNEL_NAME, onEvent);
    const check = new ScriptedCheck(1, 1);
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80'], RoundRobin, {
      healthCheck: check,
      passiveHealth: { consecutiveFailures: 1, cooldownMs: 50 },
      clock,
    });
    const [b] = lb.backends().get();
    lb.reportFailure(b!);
    check.failing.add(b!.addr);
    await lb.runHealthCheck(); // unhealthy while passively held: no second "out" event
    clock.advance(50);
    check.failing.clear();
    await lb.runHealthCheck(); // hold expired, health back: one "ready" event from the check
    expect(lb.select('')?.addr).toBe('10.0.0.1:80');
    expect(events.map((e) => [e.ready, e.reason])).toEqual([
      [false, 'passive'],
      [true, 'active-check'],
    ]);
  });

  it('only records errors when passive health is off', () => {
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80'], RoundRobin);
    const [b] = lb.backends().get();
    for (let i = 0; i < 10; i++) expect(lb.reportFailure(b!, new Error('boom'))).toBe(false);
    expect(lb.backends().health(b!)).toMatchObject({ ready: true });
    expect(lb.backends().health(b!)?.lastError?.message).toContain('boom');
  });
});
