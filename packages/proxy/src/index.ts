/**
 * @pingora-ts/proxy: HttpProxy and the ProxyHttp phases: a programmable reverse proxy (mirrors pingora-proxy).
 */
export {};
