/**
 * The session model of the gateway (pure logic: no I/O, the clock is injected). One session =
 * one login = one private container. The table maps a session token (the cookie value) to its
 * session, admits new logins under the session limit (reject with a Retry-After, or evict the
 * least recently used idle session), counts requests and bytes, and tells which sessions have
 * been idle too long. Ending a session removes its token at once, so a replayed cookie of an
 * ended session matches nothing and starts a new login: it can never reach another user's
 * container, because tokens are never reused (each is 256 random bits).
 */

/** What happens to a login at the session limit. */
export type EvictionPolicy =
  /** Refuse it: HTTP 503 with Retry-After (the default). */
  | 'reject'
  /** End the least recently used session that has no request in flight, then admit. */
  | 'lru';

/** Why a session ended. */
export type EndReason = 'logout' | 'idle' | 'evicted' | 'ended-by-user' | 'gateway-stopped' | 'container-gone';

/** Limits of a gateway's session table. */
export interface SessionLimits {
  /** Live sessions at most (logins being started count too); ≥ 1. */
  maxSessions: number;
  /** A session with no request for this long (ms) ends; 0 = never. */
  idleMs: number;
  eviction: EvictionPolicy;
}

/** Where a session's requests go. */
export interface SessionTarget {
  containerId: string;
  /** Container name without the leading '/'. */
  containerName: string;
  /** Address the gateway connects to (the container's private-network address, or 127.0.0.1 and its published port). */
  host: string;
  port: number;
  /** Where a client without the gateway would connect (the published port), when there is one. */
  published?: { host: string; port: number };
}

/** How a session's container was obtained. */
export type LoginMode = 'cold' | 'warm';

/** A live session (the token is secret: never shown, never logged). */
export interface Session {
  /** Public id (hex), shown in views and logs. */
  readonly id: string;
  /** Cookie value. */
  readonly token: string;
  readonly target: SessionTarget;
  /** ms since the epoch (the injected clock). */
  readonly createdAt: number;
  lastSeenAt: number;
  requests: number;
  /** Request body bytes received from the client. */
  bytesIn: number;
  /** Response body bytes sent to the client. */
  bytesOut: number;
  /** Requests (or WebSocket connections) not finished yet. */
  inFlight: number;
  /** From the login request's arrival to its container answering, ms. */
  readonly loginMs: number;
  readonly mode: LoginMode;
}

/** A session as views and reports see it (no token). */
export type SessionSnapshot = Omit<Session, 'token'>;

/** Outcome of {@link SessionTable.admit}. */
export type Admission =
  | { kind: 'admit' }
  /** Admitted after ending `victim` (its container must be removed by the caller). */
  | { kind: 'evict'; victim: Session }
  /** At the limit: answer 503 with `Retry-After: retryAfterSeconds`. */
  | { kind: 'full'; retryAfterSeconds: number };

/** Retry-After (s) when no session can be expected to end sooner (no idle timeout). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Validate limits; returns them with defaults filled in.
 * @throws RangeError naming the bad value.
 */
export function checkLimits(limits: Partial<SessionLimits>): SessionLimits {
  const l: SessionLimits = { maxSessions: 20, idleMs: 15 * 60_000, eviction: 'reject', ...limits };
  if (!Number.isInteger(l.maxSessions) || l.maxSessions < 1) throw new RangeError(`the session limit must be a whole number ≥ 1, got ${l.maxSessions}`);
  if (!Number.isFinite(l.idleMs) || l.idleMs < 0) throw new RangeError(`the idle timeout must be ≥ 0 ms, got ${l.idleMs}`);
  if (l.eviction !== 'reject' && l.eviction !== 'lru') throw new RangeError(`the eviction policy must be "reject" or "lru", got ${String(l.eviction)}`);
  return l;
}

/** The session table of one gateway. */
export class SessionTable {
  private readonly byToken = new Map<string, Session>();
  private readonly byId = new Map<string, Session>();
  private pending = 0;
  private readonly ended = new Map<EndReason, number>();
  readonly limits: SessionLimits;

  /**
   * @param limits session limit, idle timeout, eviction policy.
   * @param now clock in ms (default `Date.now`).
   * @throws RangeError on bad limits.
   */
  constructor(
    limits: Partial<SessionLimits>,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = checkLimits(limits);
  }

  /** Live sessions. */
  get size(): number {
    return this.byId.size;
  }

  /** Logins admitted and still starting their container. */
  get starting(): number {
    return this.pending;
  }

  /** The live session a token belongs to, if any. */
  find(token: string | undefined): Session | undefined {
    return token === undefined ? undefined : this.byToken.get(token);
  }

  /** The first of `tokens` that belongs to a live session. */
  findAny(tokens: readonly string[]): Session | undefined {
    for (const t of tokens) {
      const s = this.byToken.get(t);
      if (s) return s;
    }
    return undefined;
  }

  /** A live session by its public id (or a unique prefix of it, ≥ 4 characters). */
  byPublicId(id: string): Session | undefined {
    const exact = this.byId.get(id);
    if (exact || id.length < 4) return exact;
    const matches = [...this.byId.values()].filter((s) => s.id.startsWith(id));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /**
   * Admit a login under the session limit. On 'admit' or 'evict' a slot is reserved: call
   * {@link add} when the container answers, or {@link release} when the login failed.
   */
  admit(): Admission {
    if (this.byId.size + this.pending < this.limits.maxSessions) {
      this.pending++;
      return { kind: 'admit' };
    }
    if (this.limits.eviction === 'lru') {
      const victim = [...this.byId.values()].filter((s) => s.inFlight === 0).sort((a, b) => a.lastSeenAt - b.lastSeenAt)[0];
      if (victim) {
        this.end(victim.id, 'evicted');
        this.pending++;
        return { kind: 'evict', victim };
      }
    }
    return { kind: 'full', retryAfterSeconds: this.retryAfterSeconds() };
  }

  /** Give back a slot reserved by {@link admit} (the login failed). */
  release(): void {
    if (this.pending > 0) this.pending--;
  }

  /**
   * Turn a reserved slot into a live session.
   * @throws Error when the id or token is already in use (a caller bug: both must be fresh random values).
   */
  add(s: { id: string; token: string; target: SessionTarget; loginMs: number; mode: LoginMode }): Session {
    if (this.byId.has(s.id) || this.byToken.has(s.token)) throw new Error('session id or token already in use');
    this.release();
    const t = this.now();
    const session: Session = { ...s, createdAt: t, lastSeenAt: t, requests: 0, bytesIn: 0, bytesOut: 0, inFlight: 0 };
    this.byToken.set(s.token, session);
    this.byId.set(s.id, session);
    return session;
  }

  /** A request (or WebSocket) of `session` starts: counted, in flight, not idle. */
  begin(session: Session): void {
    session.requests++;
    session.inFlight++;
    session.lastSeenAt = this.now();
  }

  /** A request of `session` ended, with its body sizes in bytes. */
  finish(session: Session, bytesIn: number, bytesOut: number): void {
    session.inFlight = Math.max(0, session.inFlight - 1);
    session.bytesIn += bytesIn;
    session.bytesOut += bytesOut;
    session.lastSeenAt = this.now();
  }

  /**
   * End a session: its token stops matching at once.
   * @returns the ended session (its container is for the caller to remove), or undefined when no
   *   live session has that id.
   */
  end(id: string, reason: EndReason): Session | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    this.byId.delete(id);
    this.byToken.delete(s.token);
    this.ended.set(reason, (this.ended.get(reason) ?? 0) + 1);
    return s;
  }

  /** Sessions idle for at least the idle timeout (none in flight); none when the timeout is 0. */
  idle(): Session[] {
    if (this.limits.idleMs <= 0) return [];
    const t = this.now();
    return [...this.byId.values()].filter((s) => s.inFlight === 0 && t - s.lastSeenAt >= this.limits.idleMs);
  }

  /** ms until the next session can reach its idle timeout, or undefined when none can. */
  nextIdleInMs(): number | undefined {
    if (this.limits.idleMs <= 0) return undefined;
    const t = this.now();
    let next: number | undefined;
    for (const s of this.byId.values()) {
      if (s.inFlight > 0) continue;
      const due = Math.max(0, s.lastSeenAt + this.limits.idleMs - t);
      next = next === undefined ? due : Math.min(next, due);
    }
    return next;
  }

  /**
   * Seconds a refused login should wait (HTTP Retry-After): until the soonest idle timeout of a
   * session without a request in flight, rounded up, at least 1; {@link DEFAULT_RETRY_AFTER_SECONDS}
   * when no session can time out (no idle timeout, or every session busy).
   */
  retryAfterSeconds(): number {
    const ms = this.nextIdleInMs();
    return ms === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(ms / 1000));
  }

  /** Live sessions, oldest first, without their tokens. */
  list(): SessionSnapshot[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt - b.createdAt).map(({ token: _t, ...rest }) => ({ ...rest, target: { ...rest.target, published: rest.target.published && { ...rest.target.published } } }));
  }

  /** Live sessions themselves (for ending them all). */
  sessions(): Session[] {
    return [...this.byId.values()];
  }

  /** How many sessions ended, by reason. */
  endedCounts(): Partial<Record<EndReason, number>> {
    return Object.fromEntries(this.ended);
  }
}
