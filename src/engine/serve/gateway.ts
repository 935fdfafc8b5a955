/**
 * The session gateway: a local HTTP server on 127.0.0.1 that gives every login a private
 * container. A request without a valid session cookie is a login: a fresh container is taken
 * (warm pool) or started, the gateway waits until its port answers, sets the session cookie and
 * proxies the request; later requests of that session go to that container only. WebSocket
 * upgrades of a session are proxied to its container too. The logout path, the idle timeout, the
 * session limit's eviction, "End Session" and stopping the gateway destroy the container.
 *
 * Plain HTTP requests are forwarded by `forward.ts` (`http.request` + pipe on one keep-alive agent,
 * http-proxy-3's header rules; measured cheaper per request, see there). WebSocket upgrades use
 * http-proxy-3 (a maintained TypeScript rewrite of http-proxy, the de-facto Node proxy; two small
 * dependencies, ~160 KB unpacked): the upgrade tunnel is the part worth a library. The original
 * http-proxy has had no release since 2020 and warns on current Node; undici proxies HTTP but has
 * no WebSocket upgrade passthrough.
 *
 * The session rules (cookies, limit, eviction, idle) are in `core/sessions.ts` and
 * `core/sessionCookie.ts`; containers come from a {@link ContainerBackend}. No `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createProxyServer } from 'http-proxy-3';
import { SessionTable, type EndReason, type Session, type SessionLimits, type SessionSnapshot } from '../../core/sessions';
import { clearSessionCookie, sessionCookieName, sessionTokens, setSessionCookie, splitSessionCookie } from '../../core/sessionCookie';
import type { ContainerBackend } from './backend';
import { forwardHttp } from './forward';
import { ReadyPool } from './readyPool';

/** Options of {@link Gateway.start}. */
export interface GatewayOptions {
  backend: ContainerBackend;
  /** Shown in logs and views. */
  image: string;
  /** Port on 127.0.0.1 (0, the default: any free port). */
  port?: number;
  limits?: Partial<SessionLimits>;
  /** Ready containers kept for logins (K; default 0). */
  poolSize?: number;
  /** Path that logs out (default `/_logout`). */
  logoutPath?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Counters of a gateway since it started. */
export interface GatewayStats {
  logins: number;
  warmLogins: number;
  /** Logins answered 502 (the container never answered, the engine failed). */
  failedLogins: number;
  /** Logins answered 503 (session limit). */
  refused: number;
  ended: Partial<Record<EndReason, number>>;
}

const LOGGED_OUT_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Logged out</title></head>
<body><h1>Logged out</h1><p>Your session ended and its container was destroyed.</p>
<p><a href="/">Log in again</a> (you get a fresh container).</p></body></html>
`;

/** A running gateway. */
export class Gateway {
  private readonly table: SessionTable;
  private readonly pool: ReadyPool;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly proxy = createProxyServer({ xfwd: true, agent: this.agent });
  /** Each session's WebSocket proxy target, parsed once (http-proxy-3 parses a string target on every upgrade). */
  private readonly targets = new WeakMap<Session, URL>();
  /** A coalesced change notification is due (see {@link changedSoon}). */
  private changeTimer: NodeJS.Timeout | undefined;
  private readonly tunnels = new Map<string, Set<Duplex>>();
  private readonly logins = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly counters = { logins: 0, warmLogins: 0, failedLogins: 0, refused: 0 };
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly unwatch: (() => void) | undefined;
  private stopping: Promise<string[]> | undefined;
  readonly logoutPath: string;
  readonly cookieName: string;
  /** ms since the epoch. */
  readonly startedAt = Date.now();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly options: GatewayOptions,
  ) {
    this.table = new SessionTable(options.limits ?? {});
    this.logoutPath = options.logoutPath ?? '/_logout';
    this.cookieName = sessionCookieName(port);
    this.pool = new ReadyPool(options.backend, options.poolSize ?? 0, (m) => this.log('warn', m));
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    const limits = this.table.limits;
    if (limits.idleMs > 0) {
      const tick = Math.min(1000, Math.max(50, limits.idleMs / 10));
      this.idleTimer = setInterval(() => {
        for (const s of this.table.idle()) void this.endSession(s.id, 'idle');
      }, tick);
      this.idleTimer.unref();
    }
    this.unwatch = options.backend.watchExits?.((id) => {
      void this.endSessionOfContainer(id).then((ended) => ended && this.log('warn', `a session's container stopped by itself; its session ended`));
    });
    this.pool.fill();
  }

  /**
   * Prepare the backend (its network) and listen on 127.0.0.1.
   * @throws Error when the backend cannot prepare or the port is taken (EADDRINUSE, with the port named).
   */
  static async start(options: GatewayOptions): Promise<Gateway> {
    await options.backend.prepare();
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new Error(`Port ${options.port} on 127.0.0.1 is already in use; choose another with --port (0 = any free port).`) : err),
      );
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    }).catch(async (err) => {
      await options.backend.dispose();
      throw err;
    });
    const port = (server.address() as { port: number }).port;
    const gw = new Gateway(server, port, options);
    gw.log('info', `gateway for ${options.image} listening on ${gw.url} (${options.backend.description}; at most ${gw.table.limits.maxSessions} sessions, idle timeout ${gw.table.limits.idleMs / 1000} s, warm pool ${options.poolSize ?? 0}, logout ${gw.logoutPath})`);
    return gw;
  }

  /** `http://127.0.0.1:PORT/`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  get image(): string {
    return this.options.image;
  }

  get limits(): SessionLimits {
    return this.table.limits;
  }

  /** Idle ready containers in the warm pool. */
  get poolIdle(): number {
    return this.pool.idleCount;
  }

  /** Live sessions, oldest first (no tokens). */
  sessions(): SessionSnapshot[] {
    return this.table.list();
  }

  /** The live session a `Cookie` header belongs to (measurements, the isolation check). */
  sessionOf(cookieHeader: string): SessionSnapshot | undefined {
    const s = this.table.findAny(sessionTokens(cookieHeader, this.cookieName));
    return s && this.table.list().find((x) => x.id === s.id);
  }

  stats(): GatewayStats {
    return { ...this.counters, ended: this.table.endedCounts() };
  }

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  /** Called after sessions change (login, end, request finished). @returns unsubscribe. */
  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wait until the warm pool holds K ready containers (benchmarks, tests). */
  poolReady(timeoutMs?: number): Promise<void> {
    return this.pool.ready(timeoutMs);
  }

  private changed(): void {
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    for (const l of this.listeners) l();
  }

  /** Request counters changed: notify at most every 100 ms, not per request (logins and ends notify at once). */
  private changedSoon(): void {
    if (this.changeTimer || this.listeners.size === 0) return;
    this.changeTimer = setTimeout(() => this.changed(), 100);
    this.changeTimer.unref();
  }

  private targetOf(session: Session): URL {
    let url = this.targets.get(session);
    if (!url) {
      url = new URL(`http://${session.target.host}:${session.target.port}`);
      this.targets.set(session, url);
    }
    return url;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  /**
   * End a session and destroy its container (its cookie then starts a new login).
   * @returns false when no live session has that id.
   */
  async endSession(id: string, reason: EndReason = 'ended-by-user'): Promise<boolean> {
    const s = this.table.end(id, reason);
    if (!s) return false;
    await this.destroy(s, reason);
    return true;
  }

  /**
   * End the session whose container this is (the backend saw it stop): its requests must never
   * reach whatever later gets the same published port.
   * @returns false when no live session uses that container.
   */
  async endSessionOfContainer(containerId: string, reason: EndReason = 'container-gone'): Promise<boolean> {
    const s = this.table.sessions().find((x) => x.target.containerId === containerId);
    return s ? this.endSession(s.id, reason) : false;
  }

  private async destroy(s: Session, reason: EndReason): Promise<void> {
    for (const t of this.tunnels.get(s.id) ?? []) t.destroy();
    this.tunnels.delete(s.id);
    const problem = await this.options.backend.remove(s.target.containerId);
    this.log(problem ? 'warn' : 'info', `session ${s.id} ended (${reason}) after ${s.requests} request(s); container ${s.target.containerName} ${problem ?? 'removed'}`);
    this.changed();
  }

  private plain(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
    res.end(text + '\n');
  }

  /** Not async: a session's request is forwarded in the same tick (no promise per request). */
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.stopping) return this.plain(res, 503, 'The gateway is stopping.', { 'Retry-After': '5', Connection: 'close' });
    const url = req.url ?? '/';
    const { tokens, rest } = splitSessionCookie(req.headers.cookie, this.cookieName);
    const session = this.table.findAny(tokens);
    if (url.startsWith(this.logoutPath) && (url.length === this.logoutPath.length || url[this.logoutPath.length] === '?')) {
      void this.logout(res, session);
      return;
    }
    if (session) return this.forward(req, res, session, rest);
    const login = this.login(req, res, rest);
    this.logins.add(login);
    void login.finally(() => this.logins.delete(login));
  }

  private async logout(res: http.ServerResponse, session: Session | undefined): Promise<void> {
    if (session) await this.endSession(session.id, 'logout');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Set-Cookie': clearSessionCookie(this.cookieName) });
    res.end(LOGGED_OUT_PAGE);
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse, cookie: string | undefined): Promise<void> {
    const t0 = performance.now();
    const admission = this.table.admit();
    if (admission.kind === 'full') {
      this.counters.refused++;
      this.log('warn', `login refused: all ${this.table.limits.maxSessions} sessions in use (503, Retry-After ${admission.retryAfterSeconds} s)`);
      return this.plain(res, 503, `All ${this.table.limits.maxSessions} sessions are in use. Try again in ${admission.retryAfterSeconds} s.`, { 'Retry-After': String(admission.retryAfterSeconds) });
    }
    if (admission.kind === 'evict') void this.destroy(admission.victim, 'evicted');
    let acquired;
    try {
      acquired = await this.pool.take(this.abort.signal);
    } catch (err) {
      this.table.release();
      if (this.stopping) return this.plain(res, 503, 'The gateway is stopping.', { 'Retry-After': '5' });
      this.counters.failedLogins++;
      this.log('error', `login failed (502): ${(err as Error).message}; container removed`);
      this.changed();
      return this.plain(res, 502, `The session's container could not serve this login: ${(err as Error).message}. The container was removed; see the gateway log.`);
    }
    const { container, mode } = acquired;
    if (this.stopping) {
      this.table.release();
      await this.options.backend.remove(container.id);
      return this.plain(res, 503, 'The gateway is stopping.', { 'Retry-After': '5' });
    }
    let id = randomBytes(4).toString('hex');
    while (this.table.byPublicId(id)) id = randomBytes(4).toString('hex');
    const token = randomBytes(32).toString('base64url');
    const loginMs = performance.now() - t0;
    const session = this.table.add({ id, token, target: { containerId: container.id, containerName: container.name, host: container.host, port: container.port, published: container.published }, loginMs, mode });
    this.counters.logins++;
    if (mode === 'warm') this.counters.warmLogins++;
    this.log('info', `login: session ${id} → container ${container.name} (${mode}, ready in ${loginMs.toFixed(0)} ms)`);
    this.changed();
    this.forward(req, res, session, cookie, setSessionCookie(this.cookieName, token));
  }

  /** @param cookie the `Cookie` header to forward (ours stripped). */
  private forward(req: http.IncomingMessage, res: http.ServerResponse, session: Session, cookie: string | undefined, setCookie?: string): void {
    this.table.begin(session);
    const finish = (bytesIn: number, bytesOut: number) => {
      this.table.finish(session, bytesIn, bytesOut);
      this.changedSoon();
    };
    // The client may have gone while its login's container started: nothing to proxy, and no
    // 'close' event will come, so count the request as finished now (the session can idle out).
    if (res.destroyed || req.destroyed) return finish(0, 0);
    const { host, port } = session.target;
    forwardHttp(req, res, {
      host,
      port,
      agent: this.agent,
      cookie,
      setCookie,
      cookieName: this.cookieName,
      done: finish,
      failed: (err) => this.forwardFailed(req, res, session, err),
    });
  }

  private forwardFailed(req: http.IncomingMessage, res: http.ServerResponse, session: Session, err: NodeJS.ErrnoException): void {
    const code = err.code;
    this.log('warn', `session ${session.id}: request ${req.method} ${(req.url ?? '').slice(0, 200)} failed at container ${session.target.containerName}: ${code ?? ''} ${err.message}`);
    if ((code === 'ECONNREFUSED' || code === 'EHOSTUNREACH') && this.table.find(session.token)) {
      // Nothing listens at the container's address any more: the container is gone.
      this.table.end(session.id, 'container-gone');
      void this.destroy(session, 'container-gone');
    }
    this.plain(res, 502, `The session's container did not answer (${code ?? 'error'}). Reload to log in again if it is gone.`);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const { tokens, rest } = splitSessionCookie(req.headers.cookie, this.cookieName);
    const session = this.stopping ? undefined : this.table.findAny(tokens);
    if (!session) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nNo session: open the gateway URL in a browser first to log in.\n');
      return;
    }
    this.table.begin(session);
    const set = this.tunnels.get(session.id) ?? new Set<Duplex>();
    this.tunnels.set(session.id, set);
    set.add(socket);
    let done = false;
    socket.on('close', () => {
      if (done) return;
      done = true;
      set.delete(socket);
      const s = socket as Duplex & { bytesRead?: number; bytesWritten?: number };
      this.table.finish(session, s.bytesRead ?? 0, s.bytesWritten ?? 0);
      this.changed();
    });
    if (rest) req.headers.cookie = rest;
    else delete req.headers.cookie;
    this.proxy.ws(req, socket, head, { target: this.targetOf(session) }, (err) => {
      this.log('warn', `session ${session.id}: WebSocket to container ${session.target.containerName} failed: ${(err as Error).message}`);
      socket.destroy();
    });
  }

  /**
   * Stop: refuse new requests, end every session (containers removed), drain the warm pool and
   * dispose of the backend (its network). Idempotent; never throws.
   * @returns problems (containers or the network that could not be removed; the sweep retries).
   */
  stop(): Promise<string[]> {
    this.stopping ??= (async () => {
      if (this.idleTimer) clearInterval(this.idleTimer);
      this.unwatch?.();
      this.abort.abort();
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      this.server.closeAllConnections();
      for (const set of this.tunnels.values()) for (const t of set) t.destroy();
      await Promise.allSettled([...this.logins]);
      await Promise.all(this.table.sessions().map((s) => this.endSession(s.id, 'gateway-stopped')));
      await this.pool.drain();
      const problems = await this.options.backend.dispose();
      await closed;
      this.agent.destroy();
      this.log('info', `gateway on port ${this.port} stopped${problems.length ? `; ${problems.length} problem(s): ${problems.join('; ')}` : ''}`);
      this.changed();
      return problems;
    })();
    return this.stopping;
  }
}
