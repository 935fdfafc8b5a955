/**
 * One plain HTTP request of a session, forwarded to its container: `http.request` on the
 * gateway's keep-alive agent and two pipes, with what the gateway adds on the way (the
 * `X-Forwarded-*` headers, its own `Set-Cookie` on a login's first response, no `Set-Cookie` of
 * its cookie name from a container, body bytes counted). WebSocket upgrades still go through
 * http-proxy-3 (`gateway.ts`).
 *
 * Why not http-proxy-3 for these too: bench/serve-hop measured its general passes
 * (options spread, two URL parses, per-header setHeader, events) at about a third more CPU per
 * request than this on the gateway's single thread, and at 20 concurrent sessions that CPU is
 * queueing in front of every request. The header rules below are http-proxy-3's (1.23, `xfwd`,
 * passes `web-incoming` / `web-outgoing`), so a container sees the same request either way.
 * No `vscode` import.
 */
import * as http from 'node:http';

/** Where and how one request is forwarded. */
export interface ForwardOptions {
  /** The container's address. */
  host: string;
  port: number;
  agent: http.Agent;
  /** The request's `Cookie` header as forwarded (ours stripped); undefined: no `Cookie` header. */
  cookie: string | undefined;
  /** A `Set-Cookie` value added to the response (a login's session cookie). */
  setCookie?: string;
  /** `Set-Cookie` values from the container starting with `${cookieName}=` are dropped. */
  cookieName: string;
  /**
   * Called once when the exchange is over (response finished, client gone, or failed), with the
   * request and response body sizes in bytes.
   */
  done: (bytesIn: number, bytesOut: number) => void;
  /** The container could not be reached or the request failed before a response (the caller answers 502). */
  failed: (err: NodeJS.ErrnoException) => void;
}

/** Request headers http-proxy-3 drops (a `Trailer` request header wedges some servers). */
const DROP = 'trailer';

/**
 * Forward `req` to the container and its response to `res`.
 * Never throws; errors go to `o.failed` (before a response) or end the client's response.
 */
export function forwardHttp(req: http.IncomingMessage, res: http.ServerResponse, o: ForwardOptions): void {
  let bytesIn = 0;
  let bytesOut = 0;
  let over = false;
  const done = (): void => {
    if (over) return;
    over = true;
    o.done(bytesIn, bytesOut);
  };
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  if (o.cookie === undefined) delete headers.cookie;
  else headers.cookie = o.cookie;
  if (DROP in headers) delete headers[DROP];
  if ((req.method === 'DELETE' || req.method === 'OPTIONS') && !req.headers['content-length']) {
    headers['content-length'] = '0';
    delete headers['transfer-encoding'];
  }
  const remote = req.socket.remoteAddress ?? '';
  const port = /:(\d+)$/.exec(req.headers.host ?? '')?.[1] ?? '80';
  addForwarded(headers, 'x-forwarded-for', remote);
  addForwarded(headers, 'x-forwarded-port', port);
  addForwarded(headers, 'x-forwarded-proto', 'http');
  headers['x-forwarded-host'] = req.headers['x-forwarded-host'] || req.headers.host || '';
  const url = req.url ?? '/';
  const path = url.startsWith('/') ? url : pathOf(url);
  const up = http.request({ host: o.host, port: o.port, method: req.method, path, headers, agent: o.agent });
  up.on('response', (r) => {
    const h = r.headers;
    delete h['transfer-encoding'];
    if (req.httpVersion === '1.0') h.connection = req.headers.connection || 'close';
    else if (!h.connection) h.connection = req.headers.connection || 'keep-alive';
    const theirs = h['set-cookie'];
    if (theirs !== undefined || o.setCookie) {
      const kept = (theirs ?? []).filter((c) => !c.trimStart().startsWith(`${o.cookieName}=`));
      if (o.setCookie) kept.push(o.setCookie);
      if (kept.length) h['set-cookie'] = kept;
      else delete h['set-cookie'];
    }
    res.writeHead(r.statusCode ?? 502, r.statusMessage || undefined, h);
    r.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
    r.on('error', () => res.destroy());
    r.pipe(res);
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) o.failed(err);
    done();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
    done();
  });
  req.on('error', () => up.destroy());
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
  }
  req.pipe(up);
}

/** `X-Forwarded-*` as http-proxy-3 writes it: appended to a value the client sent, comma-separated. */
function addForwarded(headers: http.OutgoingHttpHeaders, name: string, value: string): void {
  const before = headers[name];
  headers[name] = before ? `${before},${value}` : value;
}

/** The path and query of an absolute-form request target (`http://host/p?q` → `/p?q`). */
function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}
