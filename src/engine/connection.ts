import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';
import { dialectOf, type EngineDialect } from '../core/dialect';
import { describeCandidate, describeError, ping, probeCandidates, type CandidateAttempt, type EngineInfo, type ProbeOutcome } from './endpointProbe';
import { EngineEventStream } from './events';
import type { Candidate, ResolveInput } from './resolve';

export type EngineState =
  | { kind: 'connecting' }
  | { kind: 'connected'; endpoint: string; source: string; info: EngineInfo; attempts: CandidateAttempt[] }
  | {
      kind: 'disconnected';
      attempts: CandidateAttempt[];
      /** Why other sources were not tried and how to change the choice (may be empty). */
      notes?: string[];
    };

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
 * The single owner of the dockerode client (built by `dockerClient.ts`, the only code that
 * constructs one).
 *
 * Lifecycle: `connect()` resolves the candidates (see `resolve.ts`), pings each in order with a
 * short timeout and keeps the first that answers (`connected`, with `version()` info; see
 * `endpointProbe.ts`); when none does the state is `disconnected` with every attempt and its
 * error, and a background retry runs with exponential backoff (1 s doubling to 30 s) until an engine answers — the only requests made
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

  private apply(gen: number, outcome: ProbeOutcome): EngineState | Promise<EngineState> {
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

  /** Resolve candidates and try them in order (endpointProbe.ts); never throws. */
  private attempt(announce: boolean): Promise<ProbeOutcome> {
    return probeCandidates({
      host: this.options.host,
      env: (this.options.env ?? process.env) as Record<string, string | undefined>,
      io: this.options.io,
      pingTimeoutMs: this.options.pingTimeoutMs,
      announce,
      reuse: (c) => this.sameEndpointClient(c),
      log: (level, message) => this.log(level, message),
    });
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
