import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { checkLimits, DEFAULT_RETRY_AFTER_SECONDS, SessionTable, type SessionTarget } from '../../src/core/sessions';
import { clearSessionCookie, sessionCookieName, sessionTokens, setSessionCookie, stripCookie, TOKEN_PATTERN } from '../../src/core/sessionCookie';

const token = () => randomBytes(32).toString('base64url');
const target = (n: number): SessionTarget => ({ containerId: `c${n}`, containerName: `n${n}`, host: '127.0.0.1', port: 30000 + n });

/** A table on a hand-moved clock. */
function table(limits: Parameters<typeof checkLimits>[0]) {
  const clock = { t: 1_000_000 };
  const t = new SessionTable(limits, () => clock.t);
  let n = 0;
  const login = () => {
    const a = t.admit();
    assert.notEqual(a.kind, 'full');
    n++;
    return t.add({ id: `id${n}`, token: token(), target: target(n), loginMs: 10, mode: 'cold' });
  };
  return { t, clock, login };
}

describe('session cookie policy', () => {
  it('issues HttpOnly, SameSite=Strict, Path=/ cookies for 43-character base64url tokens', () => {
    const tk = token();
    assert.match(tk, TOKEN_PATTERN);
    assert.equal(setSessionCookie('cl_session_8080', tk), `cl_session_8080=${tk}; Path=/; HttpOnly; SameSite=Strict`);
    assert.throws(() => setSessionCookie('x', 'short'), RangeError);
    assert.match(clearSessionCookie('x'), /^x=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    assert.equal(sessionCookieName(4100), 'cl_session_4100');
  });

  it('reads every well-formed token of our cookie and ignores others and malformed values', () => {
    const a = token();
    const b = token();
    const header = `theme=dark; cl_session_1=${a}; cl_session_1=not-a-token; other=${b}; cl_session_1="${b}"`;
    assert.deepEqual(sessionTokens(header, 'cl_session_1'), [a, b]);
    assert.deepEqual(sessionTokens(undefined, 'cl_session_1'), []);
    assert.deepEqual(sessionTokens([`cl_session_1=${a}`, 'x=1'], 'cl_session_1'), [a]);
  });

  it('never forwards our cookie to the container', () => {
    const a = token();
    assert.equal(stripCookie(`theme=dark; cl_session_1=${a}; lang=en`, 'cl_session_1'), 'theme=dark; lang=en');
    assert.equal(stripCookie(`cl_session_1=${a}`, 'cl_session_1'), undefined);
    assert.equal(stripCookie(undefined, 'cl_session_1'), undefined);
  });
});

describe('session table', () => {
  it('validates its limits with a message naming the value', () => {
    assert.throws(() => checkLimits({ maxSessions: 0 }), /session limit.*got 0/);
    assert.throws(() => checkLimits({ idleMs: -1 }), /idle timeout/);
    assert.throws(() => checkLimits({ eviction: 'fifo' as never }), /eviction policy/);
    assert.deepEqual(checkLimits({}), { maxSessions: 20, idleMs: 900_000, eviction: 'reject' });
  });

  it('finds a session by its token only while it lives; an ended token never matches again', () => {
    const { t, login } = table({ maxSessions: 5 });
    const a = login();
    const b = login();
    assert.equal(t.find(a.token), a);
    assert.equal(t.findAny(['nope', b.token, a.token]), b);
    assert.equal(t.end(a.id, 'logout'), a);
    assert.equal(t.find(a.token), undefined, 'the replayed cookie of an ended session matches nothing');
    assert.equal(t.findAny([a.token]), undefined);
    assert.equal(t.end(a.id, 'logout'), undefined);
    // A new login gets a new session, never the old one nor another user's.
    const c = login();
    assert.notEqual(c.token, a.token);
    assert.equal(t.find(a.token), undefined);
    assert.equal(t.find(b.token), b);
    assert.deepEqual(t.endedCounts(), { logout: 1 });
  });

  it('at the limit refuses logins (reject) with Retry-After until the soonest idle timeout', () => {
    const { t, clock, login } = table({ maxSessions: 2, idleMs: 60_000 });
    const a = login();
    clock.t += 10_000;
    const b = login();
    clock.t += 5_500;
    const r = t.admit();
    assert.equal(r.kind, 'full');
    // a was last seen 15.5 s ago: it can time out in 44.5 s → 45 s.
    assert.equal(r.kind === 'full' && r.retryAfterSeconds, 45);
    // Busy sessions cannot time out: only b counts then.
    t.begin(a);
    const r2 = t.admit();
    assert.equal(r2.kind === 'full' && r2.retryAfterSeconds, 55);
    t.begin(b);
    const r3 = t.admit();
    assert.equal(r3.kind === 'full' && r3.retryAfterSeconds, DEFAULT_RETRY_AFTER_SECONDS);
  });

  it('counts logins still starting against the limit, and gives the slot back when one fails', () => {
    const { t } = table({ maxSessions: 1 });
    assert.equal(t.admit().kind, 'admit');
    assert.equal(t.starting, 1);
    assert.equal(t.admit().kind, 'full');
    t.release();
    assert.equal(t.starting, 0);
    assert.equal(t.admit().kind, 'admit');
  });

  it('lru eviction ends the least recently used idle session, never one with a request in flight', () => {
    const { t, clock, login } = table({ maxSessions: 2, eviction: 'lru' });
    const a = login();
    clock.t += 1000;
    const b = login();
    clock.t += 1000;
    t.begin(a); // a is busy, although older
    t.finish(a, 0, 0);
    t.begin(a);
    const r = t.admit();
    assert.equal(r.kind, 'evict');
    assert.equal(r.kind === 'evict' && r.victim, b);
    assert.equal(t.find(b.token), undefined);
    t.add({ id: 'new', token: token(), target: target(9), loginMs: 1, mode: 'warm' });
    // now: a busy, "new" idle → "new" is the victim
    const r2 = t.admit();
    assert.equal(r2.kind === 'evict' && r2.victim.id, 'new');
    t.release();
    // every session busy → full
    const c = t.add({ id: 'c', token: token(), target: target(10), loginMs: 1, mode: 'cold' });
    t.begin(c);
    assert.equal(t.admit().kind, 'full');
  });

  it('reports idle sessions after the idle timeout, counting from the end of the last request', () => {
    const { t, clock, login } = table({ maxSessions: 3, idleMs: 30_000 });
    const a = login();
    const b = login();
    assert.equal(t.nextIdleInMs(), 30_000);
    clock.t += 20_000;
    t.begin(b);
    clock.t += 15_000;
    assert.deepEqual(t.idle().map((s) => s.id), [a.id], 'b has a request in flight');
    t.finish(b, 10, 200);
    assert.equal(t.nextIdleInMs(), 0, 'a is overdue');
    t.end(a.id, 'idle');
    assert.equal(t.nextIdleInMs(), 30_000);
    clock.t += 30_000;
    assert.deepEqual(t.idle().map((s) => s.id), [b.id]);
    assert.equal(b.requests, 1);
    assert.equal(b.bytesIn, 10);
    assert.equal(b.bytesOut, 200);
  });

  it('never times out without an idle timeout', () => {
    const { t, clock, login } = table({ maxSessions: 3, idleMs: 0 });
    login();
    clock.t += 1e9;
    assert.deepEqual(t.idle(), []);
    assert.equal(t.nextIdleInMs(), undefined);
  });

  it('lists sessions oldest first without their tokens; finds them by a unique id prefix', () => {
    const { t, clock, login } = table({ maxSessions: 3 });
    const a = login();
    clock.t += 1;
    login();
    const list = t.list();
    assert.deepEqual(list.map((s) => s.id), ['id1', 'id2']);
    assert.ok(list.every((s) => !('token' in s)));
    assert.equal(t.byPublicId('id1'), a);
    assert.equal(t.byPublicId('id'), undefined, 'too short');
    t.add({ id: 'abcd1234', token: token(), target: target(5), loginMs: 1, mode: 'cold' });
    assert.equal(t.byPublicId('abcd')?.id, 'abcd1234');
  });

  it('refuses a duplicate id or token', () => {
    const { t, login } = table({ maxSessions: 3 });
    const a = login();
    assert.throws(() => t.add({ id: a.id, token: token(), target: target(1), loginMs: 1, mode: 'cold' }), /already in use/);
  });
});
