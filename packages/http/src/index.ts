/**
 * @pingora-ts/http: HTTP request and response headers that keep case and order and validate every byte (mirrors pingora-http).
 */
export {};
