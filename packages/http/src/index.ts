/**
 * @pingora-ts/http: HTTP request and response headers that keep case and
 * order and validate every byte (mirrors pingora-http).
 */
export { HeaderList } from './header-list.ts';
export { type HttpVersion, h1VersionText, isHttpVersion } from './http-version.ts';
export { RequestHeader } from './request-header.ts';
export { ResponseHeader } from './response-header.ts';
export { statusReason } from './status-reason.ts';
export { trimOws } from './validate.ts';
