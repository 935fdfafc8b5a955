/**
 * A counting proxy for the engine's unix socket: every HTTP request that reaches the real engine
 * through it is counted (method, path without the query, time), and the engine events that pass
 * through its `GET /events` responses are counted too (one per JSON line), so a request can be
 * told apart from a refresh that an event caused. `kill()` closes the socket and cuts every open
 * connection: to a client that is the engine going away (the real engine is never touched).
 *
 * Built on node:http (server on the proxy socket, `http.request` to the engine socket, responses
 * piped), not hand-parsed: keep-alive connections carry several requests and only an HTTP parser
 * sees each. Upgraded connections (attach, exec with a hijacked stream) are counted once and then
 * piped raw. Used by the integration tests and by the idle benches.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';

/** One request the proxy forwarded. */
export interface ProxiedRequest {
  method: string;
  /** Path without the query, API version prefix removed: `/_ping`, `/events`, `/images/json`. */
  path: string;
  /** `Date.now()` when the request arrived, ms. */
  at: number;
}

export interface CountingProxy {
  /** The proxy socket's path (use `unix://<path>` as DOCKER_HOST). */
  readonly socketPath: string;
  /** Every request forwarded so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** `Date.now()` of every engine event passed through an `/events` response, ms. */
  readonly events: readonly number[];
  /** Requests that arrived at or after `since` (ms, `Date.now()` clock). */
  requestsSince(since: number): ProxiedRequest[];
  /** `/events` responses currently open through the proxy. */
  openEventStreams(): number;
  /** Stop listening and cut every open connection (the engine "goes away"); removes the socket. */
  kill(): Promise<void>;
}

/** `/v1.41/images/json?all=1` → `/images/json`. */
function plainPath(url: string): string {
  const p = url.split('?')[0] ?? url;
  return p.replace(/^\/v\d+(\.\d+)*(?=\/)/, '');
}

/**
 * Start a counting proxy on `socketPath` (an existing file there is removed first) for the engine
 * at `engineSocket` (default /var/run/docker.sock).
 * @throws when the socket cannot be created (e.g. the folder is missing).
 */
export async function startCountingProxy(socketPath: string, engineSocket = '/var/run/docker.sock'): Promise<CountingProxy> {
  const requests: ProxiedRequest[] = [];
  const events: number[] = [];
  const sockets = new Set<net.Socket>();
  let streams = 0;
  const agent = new http.Agent({ keepAlive: false });

  const server = http.createServer((req, res) => {
    const path = plainPath(req.url ?? '/');
    requests.push({ method: req.method ?? 'GET', path, at: Date.now() });
    const up = http.request({ socketPath: engineSocket, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      res.flushHeaders();
      const isEvents = path === '/events';
      if (isEvents) {
        streams++;
        let done = false;
        const closed = () => {
          if (!done) streams--;
          done = true;
        };
        upRes.on('data', (chunk: Buffer) => {
          for (const b of chunk) if (b === 0x0a) events.push(Date.now());
        });
        upRes.on('close', closed);
        res.on('close', closed);
      }
      upRes.pipe(res);
      res.on('close', () => upRes.destroy());
    });
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`counting proxy: ${err.message}`);
    });
    req.pipe(up);
    // The client went away before the answer ended (a cancelled stream): cancel upstream too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  });
  // Long-lived requests (the event stream) must not be cut by the server's own timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5000;
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    requests.push({ method: req.method ?? 'GET', path: plainPath(req.url ?? '/'), at: Date.now() });
    const upstream = net.connect(engineSocket);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });

  fs.rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let killed: Promise<void> | undefined;
  return {
    socketPath,
    requests,
    events,
    requestsSince: (since) => requests.filter((r) => r.at >= since),
    openEventStreams: () => streams,
    kill: () =>
      (killed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
        fs.rmSync(socketPath, { force: true });
      })),
  };
}

/** A request this soon after an engine event passed through the proxy starts a refresh it caused, ms (debounce 200 ms + margin). */
export const EVENT_GRACE_MS = 2000;
/** A request this soon after the previous one belongs to the same refresh (a list, then inspects), ms. */
export const BURST_GAP_MS = 1000;

/**
 * The requests of `proxy` in [from, to) (ms, `Date.now()` clock), and those no engine event asked
 * for. A refresh is a burst of requests (each within {@link BURST_GAP_MS} of the previous); a
 * burst is caused by an event when an event passed through within {@link EVENT_GRACE_MS} before
 * its first request, else all its requests are unprompted (a poll). A heuristic for benches on a
 * shared engine, where other users' events cause refreshes; on a quiet engine every request counts.
 */
export function classifyRequests(proxy: CountingProxy, from: number, to: number): { all: ProxiedRequest[]; unprompted: ProxiedRequest[]; events: number } {
  const all = proxy.requests.filter((r) => r.at >= from && r.at < to);
  const unprompted: ProxiedRequest[] = [];
  let prompted = false;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of all) {
    if (r.at - last > BURST_GAP_MS) prompted = proxy.events.some((e) => e <= r.at && r.at - e <= EVENT_GRACE_MS);
    else prompted ||= proxy.events.some((e) => e <= r.at && r.at - e <= EVENT_GRACE_MS);
    last = r.at;
    if (!prompted) unprompted.push(r);
  }
  return { all, unprompted, events: proxy.events.filter((e) => e >= from && e < to).length };
}
