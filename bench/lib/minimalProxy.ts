/**
 * The benches' control proxy: the least a Node HTTP proxy does (`http.request` + two pipes on the
 * caller's keep-alive agent; no sessions, cookies, `X-Forwarded-*` or accounting), so a gateway's
 * figure can be split into "any Node HTTP hop" and "what the gateway adds". Used by bench/serve
 * (on the real engine) and bench/serve-hop (CPU per request, no engine).
 */
import * as http from 'node:http';

/**
 * A server (not listening yet) forwarding every request to `host:port` as is. An upstream error
 * destroys the client's response.
 */
export function minimalProxy(host: string, port: number, agent: http.Agent): http.Server {
  return http.createServer((req, res) => {
    const up = http.request({ host, port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
}
