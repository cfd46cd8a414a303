/**
 * Graceful upgrade, both ways. SIGUSR2 (nginx's way, any Unix): the old
 * process starts the new one with the listening sockets as inherited
 * descriptors and stops accepting only once it reported ready. `-u` then
 * SIGQUIT (Pingora's way, Linux): the new process joins the old one's
 * SO_REUSEPORT listeners; the kernel moves queued connections over when the
 * old one closes only with net.ipv4.tcp_migrate_req=1, which we check.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import {
  isSuccessor,
  migrateReqAdvice,
  notifyPredecessor,
  reusePortSupported,
  startSuccessor,
  tcpMigrateReq,
} from '@pingora-ts/runtime';
import type { Logger } from 'pino';
import { listenerHandoff } from '../listeners/listener-handoff.ts';
import { DAEMON_ENV } from './daemon.ts';
import type { ServerConf } from './server-conf.ts';

/** `-u`: bind into the running server's reuseport groups; say what the kernel will do. */
export function prepareJoin(log: Logger): void {
  if (!reusePortSupported()) {
    log.warn(
      `--upgrade: SO_REUSEPORT is not available on ${process.platform}; binding may fail while the old process runs: upgrade with SIGUSR2 to the old process instead`,
    );
    return;
  }
  listenerHandoff.joinRunning = true;
  log.info('--upgrade: joining the listeners of the running server (SO_REUSEPORT)');
  warnIfQueuedMayReset(log);
}

/** SIGQUIT and `-u`: a warning when closing our listeners would reset queued connections. */
export function warnIfQueuedMayReset(log: Logger): void {
  if (process.platform !== 'linux') return;
  const advice = migrateReqAdvice(tcpMigrateReq());
  if (advice !== undefined) log.warn(advice);
}

/** SIGUSR2: starts the successor with our listeners; resolves once it is ready. */
export async function handOver(conf: ServerConf, log: Logger): Promise<void> {
  const { listeners, missing } = listenerHandoff.handoverList();
  if (missing.length > 0) {
    log.warn({ listeners: missing }, 'no descriptor for these listeners; they are not handed over');
  }
  if (listeners.length === 0) {
    throw PingoraError.explain(ErrorType.InternalError, 'no listener to hand over');
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A daemon's successor is a daemon already (it writes the pid file) and waits on nobody.
  if (conf.daemon) env[DAEMON_ENV] = '1';
  else delete env[DAEMON_ENV];
  log.info(
    { listeners: listeners.map((l) => l.key) },
    'graceful upgrade: starting the new process with our listeners',
  );
  try {
    const successor = await startSuccessor({
      listeners,
      env,
      readyTimeoutMs: conf.upgradeReadyTimeoutSeconds * 1000,
    });
    listenerHandoff.handedOver = true;
    log.info({ successorPid: successor.pid }, 'graceful upgrade: the new process is ready');
  } catch (err) {
    throw PingoraError.because(ErrorType.InternalError, 'graceful upgrade failed', err);
  }
}

/** The successor side: tell the old process that every service is up. */
export function reportReadyToPredecessor(log: Logger): void {
  if (!isSuccessor()) return;
  const untaken = listenerHandoff.untakenInherited();
  if (untaken.length > 0) {
    log.warn({ listeners: untaken }, 'inherited listeners no endpoint uses; they stay idle');
  }
  try {
    notifyPredecessor();
    log.info('told the old process we are ready');
  } catch (err) {
    log.warn({ err }, 'could not tell the old process we are ready');
  }
}
