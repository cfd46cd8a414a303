/**
 * @pingora-ts/access-log: a ready-made access log for the proxy's logging
 * phase (JSON lines through pino or nginx combined), configured from the
 * `access_log` YAML section, with request ids passed upstream.
 */
export {
  ACCESS_LOG_FORMATS,
  type AccessLogConfig,
  type AccessLogFormat,
  accessLogConfigSchema,
} from './access-log-config.ts';
export { AccessLog, type AccessLogOptions, DEFAULT_MAX_PENDING_BYTES } from './access-log.ts';
export { combinedLine, escapeNginx } from './combined-format.ts';
export { type AccessRecord, accessRecord } from './json-record.ts';
export {
  isValidRequestId,
  REQUEST_ID_HEADER,
  REQUEST_ID_MAX_LENGTH,
  requestIdOf,
  tagRequestId,
} from './request-id.ts';
