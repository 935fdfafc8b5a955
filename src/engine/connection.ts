import Docker from 'dockerode';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { builderVersion, detectEngineKind, dialectOf, engineTitle, type EngineDialect, type EngineKind } from '../core/dialect';
import { formatEndpoint, type EngineEndpoint } from './endpoint';
import { EngineEventStream } from './events';
import { nodeResolveIo, resolveCandidates, type Candidate, type ResolveInput } from './resolve';

/** Engine identity shown in the status bar. */
export interface EngineInfo {
  /** Which dialect of the API it speaks (see core/dialect). */
  kind: EngineKind;
  /** Short engine name: "Docker" or "Podman". */
  name: string;
  /** Server version, e.g. "20.10.24". */
  version: string;
  /** Product and version as shown everywhere: "Docker Engine 20.10.24", "Podman 4.3.1". */
  title: string;
  /** The builder's version from `/_ping` when the engine sends it (Podman: Buildah's, e.g. "1.28.2"). */
  builderVersion?: string;
  /** API version, e.g. "1.41". */
  apiVersion: string;
  /** Operating system / architecture of the engine host, e.g. "linux/amd64". */
  os: string;
  /** The engine's platform name when it reports one, e.g. "Docker Engine - Community"; may be empty. */
  platform?: string;
  /** Kernel version of the engine host, e.g. "6.1.0-18-amd64"; may be empty. */
  kernelVersion?: string;
}

/** One endpoint the resolver tried, and what happened. */
export interface CandidateAttempt {
  /** Where the candidate came from: "setting", "DOCKER_HOST", "context <name>", "probe". */
  source: string;
  /** For probes, which kind of engine lives there, e.g. "Docker rootless", "Podman rootful". */
  label?: string;
  /** The endpoint as a URL-like string, e.g. unix:///var/run/docker.sock. */
  endpoint: string;
  /** Why it failed, human readable; undefined when it answered. */
  error?: string;
}

export type EngineState =
  | { kind: 'connecting' }
  | { kind: 'connected'; endpoint: string; source: string; info: EngineInfo; attempts: CandidateAttempt[] }
  | {
      kind: 'disconnected';
      attempts: CandidateAttempt[];
      /** Why other sources were not tried and how to change the choice (may be empty). */
      notes?: string[];
    };

/** "DOCKER_HOST tcp://127.0.0.1:1" / "probe (Docker rootless) unix:///run/user/1000/docker.sock". */
export function describeCandidate(a: CandidateAttempt): string {
  return `${a.source}${a.label ? ` (${a.label})` : ''}${a.endpoint ? ` ${a.endpoint}` : ''}`;
}

/** Thrown by {@link EngineConnection.docker} when no engine is connected. */
export class EngineUnavailableError extends Error {
  constructor(readonly attempts: CandidateAttempt[]) {
    super(
      attempts.length === 0
        ? 'No container engine is connected yet (still connecting).'
        : 'No container engine is connected. Tried: ' + attempts.map((a) => `${describeCandidate(a)}: ${a.error ?? 'answered'}`).join('; '),
    );
    this.name = 'EngineUnavailableError';
  }
}

export interface EngineConnectionOptions {
  /** Value of the `containerLineage.engine.host` setting, if any (same forms as DOCKER_HOST). */
  host?: string;
  /** Environment map (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Log sink. `debug` lines are the per-attempt details of background retries. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Test seam: replaces the real home folder / file reader / platform of the resolver. */
  io?: Partial<Omit<ResolveInput, 'setting' | 'env'>>;
  /** How long one candidate may take to answer /_ping, in ms. Default 3000 (ssh: 10000). */
  pingTimeoutMs?: number;
  /** Background reconnection while disconnected: first delay and cap in ms (default 1000 → 30000, doubling); false = off. */
  retry?: { initialMs?: number; maxMs?: number } | false;
  /**
   * While connected, /_ping the engine every this many ms. Default 0 = never: a client that holds
   * {@link EngineConnection.events} learns that the engine went away from the stream ending.
   * Only for a client that wants a health signal without the stream.
   */
  healthIntervalMs?: number;
  /** First and longest reopen delay of the event stream while the engine answers, ms (default 500 → 30000). */
  eventBackoff?: { initialMs?: number; maxMs?: number };
}

type Outcome =
  | { kind: 'connected'; client: Docker; key: string; source: string; info: EngineInfo; attempts: CandidateAttempt[] }
  | { kind: 'disconnected'; attempts: CandidateAttempt[]; notes: string[] };

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ABORT_ERR',
]);

/**
 * The single owner of the dockerode client (the only code allowed to construct one).
 *
 * Lifecycle: `connect()` resolves the candidates (see `resolve.ts`), pings each in order with a
 * short timeout and keeps the first that answers (`connected`, with `version()` info); when none
 * does the state is `disconnected` with every attempt and its error, and a background retry runs
 * with exponential backoff (1 s doubling to 30 s) until an engine answers — the only requests made
 * while disconnected. While connected nothing is polled: the event stream ({@link events}, held
 * open by the extension) is the health signal. When it ends, one `/_ping` confirms: an answer
 * reopens the stream, none starts the recovery above (state `disconnected` at once). Nothing here
 * throws except {@link docker} (by contract); timers are unref'd so a CLI process can exit.
 */
export class EngineConnection {
  private readonly emitter = new EventEmitter();
  private current: EngineState = { kind: 'connecting' };
  private client: Docker | undefined;
  private clientKey: string | undefined;
  private generation = 0;
  private pending: Promise<EngineState> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private eventStream: EngineEventStream | undefined;

  constructor(private options: EngineConnectionOptions = {}) {
    this.emitter.setMaxListeners(0);
    this.retryDelayMs = this.retryInitialMs();
  }

  /** Current connection state. */
  get state(): EngineState {
    return this.current;
  }

  /** The dialect of the connected engine (names, states, events); Docker's while none is. */
  get dialect(): EngineDialect {
    return dialectOf(this.current.kind === 'connected' ? this.current.info.kind : undefined);
  }

  /**
   * The engine's one event stream (image and container events), created on first use. Hold it
   * (`events.acquire()`) to keep it open while connected: it opens when an engine answers, closes
   * on disconnect, and its end is this connection's health signal (see the class comment).
   * Nothing is requested for it while nobody holds it.
   */
  get events(): EngineEventStream {
    this.eventStream ??= new EngineEventStream({
      docker: () => this.docker(),
      initialBackoffMs: this.options.eventBackoff?.initialMs,
      maxBackoffMs: this.options.eventBackoff?.maxMs,
      confirm: (why) => this.confirm(why),
      log: (level, message) => this.log(level, message),
    });
    return this.eventStream;
  }

  /**
   * Check once (`/_ping`) that the connected engine still answers, e.g. after its event stream
   * ended. When it does not, the recovery starts at once: state `disconnected` (or `connected` to
   * another candidate), then the retry with backoff.
   * @param why for the log, e.g. "event stream ended".
   * @returns true when the same engine still answers; never throws.
   */
  async confirm(why: string): Promise<boolean> {
    if (this.disposed || this.current.kind !== 'connected' || !this.client) return false;
    const gen = this.generation;
    const endpoint = this.current.endpoint;
    const timeoutMs = this.options.pingTimeoutMs ?? 3000;
    try {
      await ping(this.client, timeoutMs);
      return gen === this.generation && !this.disposed;
    } catch (err) {
      if (gen !== this.generation || this.disposed) return false;
      this.log('warn', `lost the engine at ${endpoint} (${why}): ${describeError(err, undefined, timeoutMs)}; reconnecting`);
      await this.start(false);
      return false;
    }
  }

  /** Subscribe to state changes; returns a disposable that unsubscribes. */
  onDidChangeState(listener: (state: EngineState) => void): { dispose(): void } {
    this.emitter.on('state', listener);
    return { dispose: () => this.emitter.off('state', listener) };
  }

  /**
   * The connected dockerode client. Call it at each use (do not keep it): it changes when the
   * engine is reconnected.
   * @throws EngineUnavailableError when no engine is connected.
   */
  docker(): Docker {
    if (this.current.kind !== 'connected' || !this.client) {
      throw new EngineUnavailableError(this.current.kind === 'disconnected' ? this.current.attempts : []);
    }
    return this.client;
  }

  /**
   * Resolve and connect (again), announcing `connecting` first. Concurrent calls share the
   * newest attempt. Never throws; the outcome is the returned state.
   */
  connect(): Promise<EngineState> {
    return this.start(true);
  }

  /**
   * Tell the connection that an engine call failed. When the error looks like a lost connection
   * (ECONNREFUSED, ENOENT, EPIPE, timeouts…) the engine is checked at once instead of at the next
   * health ping. Other errors (HTTP 404, 409…) are ignored.
   */
  reportError(err: unknown): void {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (this.disposed || this.current.kind !== 'connected' || typeof code !== 'string' || !CONNECTION_ERROR_CODES.has(code)) return;
    this.clearTimers();
    void this.checkHealth();
  }

  /** Update options (e.g. the host setting changed); call connect() afterwards. Fields not given keep their value. */
  updateOptions(options: EngineConnectionOptions): void {
    this.options = { ...this.options, ...options };
  }

  /** Stop timers and listeners; the connection stays as it is and never changes again. */
  dispose(): void {
    this.disposed = true;
    this.clearTimers();
    this.eventStream?.dispose();
    this.emitter.removeAllListeners();
  }

  // ---------------------------------------------------------------------------------------------

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    try {
      this.options.log?.(level, message);
    } catch {
      // a broken log sink must not break the connection
    }
  }

  private retryInitialMs(): number {
    return this.options.retry === false ? 0 : (this.options.retry?.initialMs ?? 1000);
  }

  private setState(state: EngineState): void {
    this.current = state;
    // Each listener is isolated: one that throws must not starve the others or reach the caller.
    for (const listener of this.emitter.listeners('state') as Array<(s: EngineState) => void>) {
      try {
        listener(state);
      } catch (err) {
        this.log('error', `engine state listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.retryTimer = undefined;
    this.healthTimer = undefined;
  }

  private start(announce: boolean): Promise<EngineState> {
    if (this.disposed) return Promise.resolve(this.current);
    this.clearTimers();
    const gen = ++this.generation;
    if (announce) {
      this.retryDelayMs = this.retryInitialMs();
      this.client = undefined;
      this.clientKey = undefined;
      this.eventStream?.suspend();
      if (this.current.kind !== 'connecting') this.setState({ kind: 'connecting' });
    }
    const run = this.attempt(announce)
      .then((outcome) => this.apply(gen, outcome))
      .catch((err: unknown) => {
        this.log('error', `engine connection failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return this.current;
      });
    this.pending = run;
    return run;
  }

  private apply(gen: number, outcome: Outcome): EngineState | Promise<EngineState> {
    if (this.disposed) return this.current;
    if (gen !== this.generation) return this.pending ?? this.current; // superseded by a newer attempt
    if (outcome.kind === 'connected') {
      const was = this.current;
      const same = was.kind === 'connected' && this.clientKey === outcome.key && was.info.version === outcome.info.version;
      if (!same || !this.client) this.client = outcome.client;
      this.clientKey = outcome.key;
      this.retryDelayMs = this.retryInitialMs();
      const state: EngineState = { kind: 'connected', endpoint: outcome.key, source: outcome.source, info: outcome.info, attempts: outcome.attempts };
      if (same) this.current = state;
      else {
        this.log('info', `connected to ${outcome.info.title} (API ${outcome.info.apiVersion}) at ${outcome.key} (${outcome.source})`);
        this.setState(state);
      }
      this.scheduleHealth();
      // Held by someone: (re)open now (no-op when already open on this engine).
      if (!same) this.eventStream?.suspend();
      this.eventStream?.reopen();
    } else {
      this.eventStream?.suspend();
      this.client = undefined;
      this.clientKey = undefined;
      const state: EngineState = { kind: 'disconnected', attempts: outcome.attempts, notes: outcome.notes };
      const was = this.current;
      const same = was.kind === 'disconnected' && signature(was.attempts) === signature(outcome.attempts);
      if (same) this.current = state;
      else {
        this.log('warn', `no container engine answered; tried ${outcome.attempts.length}: ` + outcome.attempts.map((a) => `${describeCandidate(a)}: ${a.error}`).join('; '));
        for (const n of outcome.notes) this.log('info', n);
        this.setState(state);
      }
      this.scheduleRetry();
    }
    return this.current;
  }

  private scheduleRetry(): void {
    if (this.options.retry === false || this.disposed) return;
    const delay = this.retryDelayMs || this.retryInitialMs();
    const max = this.options.retry?.maxMs ?? 30000;
    this.retryDelayMs = Math.min(delay * 2, max);
    this.log('debug', `retrying the engine connection in ${Math.round(delay / 100) / 10} s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start(false);
    }, delay);
    this.retryTimer.unref?.();
  }

  private scheduleHealth(): void {
    const every = this.options.healthIntervalMs ?? 0;
    if (every <= 0 || this.disposed) return;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = undefined;
      void this.checkHealth();
    }, every);
    this.healthTimer.unref?.();
  }

  private async checkHealth(): Promise<void> {
    const client = this.client;
    const gen = this.generation;
    if (!client || this.current.kind !== 'connected') return;
    const endpoint = this.current.endpoint;
    try {
      await ping(client, this.options.pingTimeoutMs ?? 3000);
      if (gen === this.generation && !this.disposed) this.scheduleHealth();
    } catch (err) {
      if (gen !== this.generation || this.disposed) return;
      this.log('warn', `lost the engine at ${endpoint}: ${describeError(err, undefined, this.options.pingTimeoutMs ?? 3000)}; reconnecting`);
      await this.start(false);
    }
  }

  /** Resolve candidates and try them in order; never throws. */
  private async attempt(announce: boolean): Promise<Outcome> {
    const env = (this.options.env ?? process.env) as Record<string, string | undefined>;
    const io = { ...nodeResolveIo(), ...this.options.io };
    const resolution = resolveCandidates({ ...io, setting: this.options.host, env });
    const detail = announce ? 'info' : 'debug';
    const attempts: CandidateAttempt[] = [];
    for (const c of resolution.candidates) {
      const attempt: CandidateAttempt = { source: c.source, endpoint: c.display };
      if (c.label) attempt.label = c.label;
      attempts.push(attempt);
      if (c.error || !c.endpoint) {
        attempt.error = c.error ?? 'no endpoint';
        this.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
        continue;
      }
      this.log(detail, `trying ${describeCandidate(attempt)}`);
      const timeoutMs = this.options.pingTimeoutMs ?? (c.endpoint.kind === 'ssh' ? 10000 : 3000);
      let client: Docker;
      try {
        client = this.sameEndpointClient(c) ?? createClient(c.endpoint, env, timeoutMs);
      } catch (err) {
        attempt.error = err instanceof Error ? err.message : String(err);
        this.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
        continue;
      }
      try {
        const headers = await ping(client, timeoutMs);
        const info = toInfo(await withTimeout<Docker.DockerVersion>((signal) => (client.version as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal: signal }), timeoutMs), headers);
        return { kind: 'connected', client, key: c.display, source: c.source, info, attempts };
      } catch (err) {
        attempt.error = describeError(err, c.endpoint, timeoutMs);
        this.log(detail === 'info' ? 'warn' : 'debug', `${describeCandidate(attempt)}: ${attempt.error}`);
      }
    }
    return { kind: 'disconnected', attempts, notes: resolution.notes };
  }

  /** Reuse the current client when a quiet reconnect lands on the same endpoint. */
  private sameEndpointClient(c: Candidate): Docker | undefined {
    return this.client && this.clientKey === c.display ? this.client : undefined;
  }
}

/** Order-insensitive identity of an attempt list, to avoid re-announcing the same failure. */
function signature(attempts: CandidateAttempt[]): string {
  return attempts.map((a) => `${a.source}|${a.endpoint}|${a.error ?? ''}`).join('\n');
}

/** Run `fn` with an AbortSignal that fires after `ms`. */
async function withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  return fn(AbortSignal.timeout(ms));
}

/**
 * GET /_ping with a timeout. Resolves with the response headers (lower-case names: the engine's
 * dialect shows in them, e.g. Podman's `libpod-api-version`) when the engine answers "OK".
 * @throws the transport error, or an Error when something else answered.
 */
async function ping(client: Docker, timeoutMs: number): Promise<IncomingHttpHeaders> {
  return withTimeout(async (signal) => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const options = { path: '/_ping', method: 'GET', isStream: true, abortSignal: signal, statusCodes: { 200: true, 500: 'server error' } };
      client.modem.dial(options, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r as IncomingMessage)));
    });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const abort = () => res.destroy(new DOMException('ping timed out', 'AbortError'));
      signal.addEventListener('abort', abort, { once: true });
      res.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () => signal.removeEventListener('abort', abort));
    });
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() !== 'OK') {
      throw new Error(`something answered, but not a Docker API (/_ping returned '${text.slice(0, 60)}')`);
    }
    return res.headers;
  }, timeoutMs);
}

/** EngineInfo from GET /version and the /_ping headers: Podman when they say so (core/dialect), else Docker. */
function toInfo(v: Docker.DockerVersion, headers: IncomingHttpHeaders = {}): EngineInfo {
  const components = Array.isArray(v.Components) ? v.Components : [];
  const platform = v.Platform?.Name ?? '';
  const kind = detectEngineKind({ pingHeaders: headers, componentNames: components.map((c) => c?.Name ?? ''), platformName: platform });
  const version = String(v.Version ?? 'unknown');
  const info: EngineInfo = {
    kind,
    name: kind === 'podman' ? 'Podman' : 'Docker',
    version,
    title: engineTitle(kind, version),
    apiVersion: String(v.ApiVersion ?? 'unknown'),
    os: [v.Os, v.Arch].filter(Boolean).join('/'),
    platform,
    kernelVersion: v.KernelVersion ?? '',
  };
  const builder = builderVersion(kind, headers);
  if (builder) info.builderVersion = builder;
  return info;
}

const TLS_HINT = 'if the engine expects TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (folder with ca.pem, cert.pem, key.pem)';

/** A transport error as a sentence that says what is wrong there. */
function describeError(err: unknown, endpoint: EngineEndpoint | undefined, timeoutMs: number): string {
  const e = err as { code?: string; name?: string; message?: string; statusCode?: number; json?: unknown };
  const where = endpoint ? formatEndpoint(endpoint) : 'the engine';
  const plainTcp = endpoint?.kind === 'tcp' && !endpoint.tls;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') return `no answer within ${timeoutMs / 1000} s`;
  switch (e?.code) {
    case 'ENOENT':
      return endpoint?.kind === 'unix' ? `no socket at ${endpoint.socketPath}` : endpoint?.kind === 'npipe' ? `no named pipe ${endpoint.pipePath}` : `not found (${e.message})`;
    case 'EACCES':
    case 'EPERM':
      return endpoint?.kind === 'unix'
        ? `permission denied on ${endpoint.socketPath}: add your user to the socket's group (e.g. 'docker', then log in again) or use a rootless engine`
        : `permission denied (${e.message})`;
    case 'ECONNREFUSED':
      return endpoint?.kind === 'unix' ? `the socket exists but nothing is listening on it (engine stopped?)` : `connection refused (nothing is listening there)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return endpoint && 'host' in endpoint ? `host '${endpoint.host}' not found (DNS)` : `host not found (${e.message})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${e.code})`;
    case 'ETIMEDOUT':
      return `connection timed out`;
    case 'ECONNRESET':
      return `the connection was reset${plainTcp ? `; ${TLS_HINT}` : ''}`;
  }
  if (typeof e?.code === 'string' && e.code.startsWith('HPE_')) return `something answered, but not with HTTP${plainTcp ? `; ${TLS_HINT}` : ''}`;
  if (e?.statusCode === 404) return `something answered at ${where}, but not a Docker API (HTTP 404 on /_ping)`;
  if (typeof e?.statusCode === 'number') return `the engine answered HTTP ${e.statusCode}: ${String(e.message ?? '').trim()}`;
  const msg = e?.message ?? String(err);
  if (/certificate|self.signed|SSL|TLS/i.test(msg)) return `TLS failed: ${msg}`;
  return msg;
}

/** Read a PEM file for TLS, with a message that says which file is missing. */
function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * dockerode's modem reads DOCKER_HOST from process.env in its constructor and lets it override
 * the options we pass (and throws on values it cannot parse). Our resolver has already decided
 * the endpoint from the injected env, so the constructor runs with DOCKER_HOST masked; it is
 * synchronous, and the variable is restored before anything else runs.
 */
function constructDocker(options: Docker.DockerOptions & Record<string, unknown>): Docker {
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  try {
    return new Docker(options);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
}

/**
 * Build a dockerode client for an endpoint (the only place that does).
 * @throws Error with a clear message when TLS material is missing or unreadable.
 */
function createClient(endpoint: EngineEndpoint, env: Record<string, string | undefined>, timeoutMs: number): Docker {
  switch (endpoint.kind) {
    case 'unix':
      return constructDocker({ socketPath: endpoint.socketPath });
    case 'npipe':
      return constructDocker({ socketPath: endpoint.pipePath });
    case 'tcp': {
      if (!endpoint.tls) return constructDocker({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
      const tls = endpoint.tls;
      const ca = readPem(tls.caFile, 'CA certificate');
      const cert = readPem(tls.certFile, 'client certificate');
      const key = readPem(tls.keyFile, 'client key');
      if (tls.verify && !ca) {
        throw new Error(`TLS verification needs a CA certificate, but ${tls.caFile ?? 'ca.pem'} does not exist; set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem`);
      }
      if (!!cert !== !!key) throw new Error(`TLS client authentication needs both cert.pem and key.pem; only ${cert ? tls.certFile : tls.keyFile} exists`);
      const options: Docker.DockerOptions & Record<string, unknown> = { host: endpoint.host, port: endpoint.port, protocol: 'https', ca, cert, key };
      if (!tls.verify) options.agent = new https.Agent({ rejectUnauthorized: false, ca, cert, key });
      return constructDocker(options);
    }
    case 'ssh': {
      const username = endpoint.username ?? env.USER ?? env.LOGNAME ?? safeUserName();
      const sshOptions: Record<string, unknown> = { readyTimeout: timeoutMs };
      if (env.SSH_AUTH_SOCK) sshOptions.agent = env.SSH_AUTH_SOCK;
      else {
        const home = env.HOME || os.homedir();
        for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
          const key = readPem(path.join(home, '.ssh', name), 'ssh key');
          if (key) {
            sshOptions.privateKey = key;
            break;
          }
        }
      }
      return constructDocker({ protocol: 'ssh', host: endpoint.host, port: endpoint.port, username, sshOptions });
    }
  }
}

function safeUserName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
