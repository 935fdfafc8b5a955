/**
 * The gateway's HTTP forwarding (forward.ts) against a loopback upstream standing in for a session
 * container, through a fake backend: no engine. The engine-level behaviours (containers, logout,
 * idle, limit, WebSocket) are in test/integration/serve.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { sessionTokens, splitSessionCookie, stripCookie } from '../../src/core/sessionCookie';
import type { ContainerBackend, SessionContainer } from '../../src/engine/serve/backend';
import { Gateway } from '../../src/engine/serve/gateway';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An upstream that records each request and answers `reply` (default: 200 with two cookies). */
async function upstream(reply?: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (reply) return reply(req, res);
      res.setHeader('Set-Cookie', [`${gwCookie}=forged; Path=/`, 'theirs=1; Path=/']);
      res.end('hello from the container');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

let gwCookie = '';

function fakeBackend(port: () => number): ContainerBackend & { removed: string[] } {
  let n = 0;
  const removed: string[] = [];
  return {
    description: 'fake',
    removed,
    prepare: async () => undefined,
    start: async (): Promise<SessionContainer> => ({ id: `c${++n}`, name: `cl-fake-${n}`, host: '127.0.0.1', port: port(), startMs: 0, readyMs: 0 }),
    remove: async (id) => void removed.push(id),
    dispose: async () => [],
  };
}

function get(port: number, path: string, o: { cookie?: string; method?: string; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = o.cookie ? { cookie: o.cookie } : {};
    const req = http.request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('session gateway forwarding (loopback upstream, no engine)', () => {
  it('splitSessionCookie gives the well-formed tokens and the other cookies, in one pass (sessionTokens and stripCookie read it)', () => {
    const a = randomBytes(32).toString('base64url');
    const cases: Array<[string | string[] | undefined, string[], string | undefined]> = [
      [undefined, [], undefined],
      ['', [], undefined],
      [`c=${a}`, [a], undefined],
      [`x=1; c=${a}; y=2`, [a], 'x=1; y=2'],
      [`c=bad; c="${a}"; z`, [a], 'z'],
      [[`c=${a}`, 'q=1'], [a], 'q=1'],
    ];
    for (const [h, tokens, rest] of cases) {
      assert.deepEqual(splitSessionCookie(h, 'c'), { tokens, rest });
      assert.deepEqual(sessionTokens(h, 'c'), tokens);
      assert.equal(stripCookie(h, 'c'), rest);
    }
  });

  it('forwards with X-Forwarded-*, without the session cookie; only the gateway sets its cookie; counts requests and bytes', async () => {
    const up = await upstream();
    const gw = await Gateway.start({ backend: fakeBackend(() => up.port), image: 'fake', limits: { maxSessions: 2, idleMs: 0 } });
    gwCookie = gw.cookieName;
    try {
      const login = await get(gw.port, '/a?b=1', { cookie: 'theme=dark' });
      assert.equal(login.status, 200);
      assert.equal(login.body, 'hello from the container');
      const set = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
      assert.equal(set.filter((c) => c.startsWith(`${gw.cookieName}=`)).length, 1, 'exactly one cookie of ours: the gateway\'s, not the forged one');
      assert.match(set.find((c) => c.startsWith(`${gw.cookieName}=`)) ?? '', /; Path=\/; HttpOnly; SameSite=Strict$/);
      assert.ok(set.includes('theirs=1; Path=/'));
      const cookie = set.find((c) => c.startsWith(`${gw.cookieName}=`))!.split(';')[0];
      const r = await get(gw.port, '/post', { cookie: `${cookie}; theme=dark`, method: 'POST', body: 'x'.repeat(100) });
      assert.equal(r.status, 200);
      assert.ok(!([] as string[]).concat(r.headers['set-cookie'] ?? []).some((c) => c.startsWith(`${gw.cookieName}=`)), 'a later response carries no cookie of ours');
      const [first, second] = up.seen;
      assert.equal(first.url, '/a?b=1');
      assert.equal(first.headers.cookie, 'theme=dark');
      assert.equal(second.headers.cookie, 'theme=dark', 'the session token never reaches the container');
      assert.equal(second.method, 'POST');
      assert.equal(second.body.length, 100);
      assert.equal(second.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(second.headers['x-forwarded-port'], String(gw.port));
      assert.equal(second.headers['x-forwarded-proto'], 'http');
      assert.equal(second.headers['x-forwarded-host'], `127.0.0.1:${gw.port}`);
      const [s] = gw.sessions();
      assert.equal(s.requests, 2);
      assert.equal(s.inFlight, 0);
      assert.equal(s.bytesIn, 100);
      assert.equal(s.bytesOut, 2 * 'hello from the container'.length);
    } finally {
      await gw.stop();
      up.server.close();
    }
  });

  it('a client gone mid-response ends the upstream request and the request counts as finished', async () => {
    let upstreamClosed = false;
    const up = await upstream((_req, res) => {
      res.write('part');
      res.on('close', () => (upstreamClosed = true));
    });
    const gw = await Gateway.start({ backend: fakeBackend(() => up.port), image: 'fake', limits: { maxSessions: 1, idleMs: 0 } });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/', agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        setTimeout(() => reject(new Error('no first chunk')), 5000);
      });
      for (let i = 0; i < 50 && !(upstreamClosed && gw.sessions()[0]?.inFlight === 0); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(upstreamClosed, 'the upstream request was destroyed');
      assert.equal(gw.sessions()[0].inFlight, 0);
    } finally {
      await gw.stop();
      up.server.close();
    }
  });

  it('a container address that refuses: 502, the session ends and its container is removed; logout with a query string', async () => {
    const up = await upstream();
    let port = up.port;
    const backend = fakeBackend(() => port);
    const gw = await Gateway.start({ backend, image: 'fake', limits: { maxSessions: 2, idleMs: 0 } });
    try {
      const login = await get(gw.port, '/');
      const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${gw.cookieName}=`))!.split(';')[0];
      await new Promise<void>((r) => up.server.close(() => r()));
      port = 1; // the next login's container, nothing listens there either
      const r = await get(gw.port, '/x', { cookie });
      assert.equal(r.status, 502);
      assert.match(r.body, /did not answer \(ECONNREFUSED\)/);
      for (let i = 0; i < 50 && !backend.removed.includes('c1'); i++) await new Promise((res) => setTimeout(res, 20));
      assert.deepEqual(backend.removed, ['c1']);
      assert.equal(gw.stats().ended['container-gone'], 1);
      const out = await get(gw.port, '/_logout?next=/');
      assert.equal(out.status, 200);
      assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    } finally {
      await gw.stop();
    }
  });
});
