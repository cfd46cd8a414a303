/**
 * @pingora-ts/runtime (pingora-runtime): what a server process needs from
 * the platform: listening sockets handed to a successor for a graceful
 * upgrade (inherited descriptors, ready pipe), kernel capability checks
 * (SO_REUSEPORT, tcp_migrate_req), and N server threads with the memory
 * they share (SharedTable, named regions, SharedSecret).
 */
export {
  decodeListenFds,
  encodeListenFds,
  InheritedListeners,
  LISTEN_FDS_ENV,
} from './inherited-listeners.ts';
export {
  migrateReqAdvice,
  reusePortSupported,
  TCP_MIGRATE_REQ_PATH,
  tcpMigrateReq,
} from './kernel.ts';
export { listeningFd } from './listening-fd.ts';
export {
  type Successor,
  SuccessorError,
  type SuccessorListener,
  type SuccessorOptions,
  startSuccessor,
} from './successor.ts';
export { isSuccessor, notifyPredecessor, READY_FD, UPGRADE_READY_ENV } from './upgrade-ready.ts';
export { ServerThread, type ShutdownRequest, serverThread } from './server-thread.ts';
export { adoptTransferredSocket, socketTransferSupported } from './socket-transfer.ts';
export { THREAD_DATA_KEY, type ThreadControl, type ThreadData } from './thread-protocol.ts';
export { ThreadPool, ThreadPoolError, type ThreadPoolOptions } from './thread-pool.ts';
export { SharedTable } from './shared-table.ts';
export { mainSharedMemory, type SharedMemory } from './shared-memory.ts';
export { SharedSecret } from './shared-secret.ts';
