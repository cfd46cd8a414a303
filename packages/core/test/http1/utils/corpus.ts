/**
 * A corpus of valid HTTP/1.1 messages of the kinds real clients and servers
 * send (browser navigations and XHRs, curl, API calls with bodies, chunked
 * uploads with trailers, odd but legal spacing and casing), used by the
 * differential test against Node's llhttp and by the parse benchmark.
 */

const CHROME_NAV =
  'GET /docs/guide/index.html?lang=en&theme=dark HTTP/1.1\r\n' +
  'Host: www.example.com\r\n' +
  'Connection: keep-alive\r\n' +
  'sec-ch-ua: "Chromium";v="128", "Not;A=Brand";v="24", "Google Chrome";v="128"\r\n' +
  'sec-ch-ua-mobile: ?0\r\n' +
  'sec-ch-ua-platform: "Linux"\r\n' +
  'Upgrade-Insecure-Requests: 1\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36\r\n' +
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n' +
  'Sec-Fetch-Site: same-origin\r\n' +
  'Sec-Fetch-Mode: navigate\r\n' +
  'Sec-Fetch-User: ?1\r\n' +
  'Sec-Fetch-Dest: document\r\n' +
  'Referer: https://www.example.com/docs/\r\n' +
  'Accept-Encoding: gzip, deflate, br, zstd\r\n' +
  'Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n' +
  'Cookie: session=7f3a9c2e1b4d8f6a0c5e9b2d4f6a8c0e; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n' +
  '\r\n';

const FIREFOX_XHR =
  'POST /api/v2/events HTTP/1.1\r\n' +
  'Host: api.example.com\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\r\n' +
  'Accept: application/json\r\n' +
  'Accept-Language: en-US,en;q=0.5\r\n' +
  'Accept-Encoding: gzip, deflate, br, zstd\r\n' +
  'Content-Type: application/json\r\n' +
  'Content-Length: 27\r\n' +
  'Origin: https://www.example.com\r\n' +
  'Connection: keep-alive\r\n' +
  'Referer: https://www.example.com/app\r\n' +
  'Sec-Fetch-Dest: empty\r\n' +
  'Sec-Fetch-Mode: cors\r\n' +
  'Sec-Fetch-Site: same-site\r\n' +
  'Priority: u=0\r\n' +
  '\r\n' +
  '{"event":"click","id":1234}';

/** Typical browser request heads, for the parse-throughput benchmark. */
export const BROWSER_HEADS: readonly string[] = [
  CHROME_NAV,
  FIREFOX_XHR.slice(0, FIREFOX_XHR.indexOf('\r\n\r\n') + 4),
];

export const VALID_REQUESTS: readonly string[] = [
  CHROME_NAV,
  FIREFOX_XHR,
  'GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.9.1\r\nAccept: */*\r\n\r\n',
  'GET /favicon.ico HTTP/1.1\r\nHost: a.example\r\nAccept: image/avif,image/webp,*/*\r\n\r\n',
  'HEAD /status HTTP/1.1\r\nHost: a\r\n\r\n',
  'DELETE /items/42 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
  'OPTIONS /api HTTP/1.1\r\nHost: a\r\nAccess-Control-Request-Method: PUT\r\nOrigin: https://b\r\n\r\n',
  'PUT /upload/file.bin HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n0123456789',
  'PATCH /users/7 HTTP/1.1\r\nHost: a\r\nContent-Type: application/merge-patch+json\r\nContent-Length: 16\r\n\r\n{"name":"Alice"}',
  'POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 23\r\n\r\nuser=bob&pass=s%26cr3t!',
  'POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  'POST /trailers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\n\r\n',
  'POST /ext HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n0\r\n\r\n',
  'POST /upper-hex HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n',
  'GET /path/with%20escapes/%E2%9C%93?q=a+b&x=%2F HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET http://proxy.example/abs?x=1 HTTP/1.1\r\nHost: proxy.example\r\n\r\n',
  'GET /case HTTP/1.1\r\nhOsT: a\r\nX-MiXeD-CaSe: VaLuE\r\ncontent-type: text/plain\r\n\r\n',
  'GET /ows HTTP/1.1\r\nHost:a\r\nX-No-Space:value\r\nX-Tabs:\t\ttabbed\r\nX-Inner: a  b\tc\r\n\r\n',
  'GET /empty HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Empty-Space: \r\n\r\n',
  'GET /dup HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\nAccept: application/json\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n',
  "GET /tokens HTTP/1.1\r\nHost: a\r\nX-Token!#$%&'*+-.^_`|~: odd-but-valid\r\n\r\n",
  'GET /v10 HTTP/1.0\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
  'GET /v10-host HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n',
  'GET /upgrade HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody',
  'POST /zero HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
  'PURGE /cache/key HTTP/1.1\r\nHost: a\r\n\r\n',
  `GET /long HTTP/1.1\r\nHost: a\r\nX-Long: ${'v'.repeat(4000)}\r\n\r\n`,
  `GET /many HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 60 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}\r\n`,
];

export const VALID_RESPONSES: readonly string[] = [
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n3\r\nabc\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n',
  'HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/new\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 200 Custom Reason Phrase\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 500 Internal Server Error\r\nServer: nginx/1.27\r\nContent-Type: text/html\r\nContent-Length: 20\r\nConnection: close\r\n\r\n<h1>error</h1>\n\n\n\n\n\n',
  'HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nCache-Control: max-age=60\r\nContent-Length: 1\r\n\r\nx',
  'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  'HTTP/1.1 200 OK\r\ncontent-length: 3\r\nX-Weird-Case: YeS\r\nX-Ows:   spaced   \r\n\r\nabc',
  'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/10\r\nContent-Length: 4\r\n\r\n0123',
];
