import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { EngineConnection, type EngineState } from '../../src/engine/connection';

const SOCKET = '/var/run/docker.sock';
const FIXTURES = path.join(__dirname, '..', 'unit', 'fixtures', 'docker-config');
const NO_CONFIG = path.join(FIXTURES, 'does-not-exist');

/** Resolve when the connection reaches `kind` (now or later). */
function waitFor(c: EngineConnection, kind: EngineState['kind']): Promise<EngineState> {
  if (c.state.kind === kind) return Promise.resolve(c.state);
  return new Promise((resolve) => {
    const sub = c.onDidChangeState((s) => {
      if (s.kind === kind) {
        sub.dispose();
        resolve(s);
      }
    });
  });
}

/** A free loopback port (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A tiny TCP → unix socket proxy for the engine; close() also cuts the open connections. */
async function startProxy(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(SOCKET);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('engine/connection against the real engine', function () {
  this.timeout(60000);
  const open: EngineConnection[] = [];
  const track = (c: EngineConnection) => (open.push(c), c);
  afterEach(() => {
    for (const c of open.splice(0)) c.dispose();
  });

  it('finds the engine at the system socket by probing and reads its version', async () => {
    const c = track(new EngineConnection({ env: { HOME: '/nonexistent-home', DOCKER_CONFIG: NO_CONFIG }, retry: false, healthIntervalMs: 0 }));
    const state = await c.connect();
    assert.equal(state.kind, 'connected', JSON.stringify(state));
    assert.ok(state.kind === 'connected');
    assert.equal(state.source, 'probe');
    assert.match(state.endpoint, /^unix:\/\/(\/var)?\/run\/docker\.sock$/);
    assert.equal(state.info.name, 'Docker');
    assert.match(state.info.version, /^\d+\.\d+/);
    assert.match(state.info.apiVersion, /^1\.\d+$/);
    const v = await c.docker().version();
    assert.equal(v.ApiVersion, state.info.apiVersion);
  });

  it('connects through DOCKER_HOST=unix:///var/run/docker.sock, even when process.env.DOCKER_HOST says otherwise', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1'; // dockerode's modem would read this; the connection must not
    try {
      const c = track(new EngineConnection({ env: { DOCKER_HOST: `unix://${SOCKET}` }, retry: false, healthIntervalMs: 0 }));
      const state = await c.connect();
      assert.ok(state.kind === 'connected', JSON.stringify(state));
      assert.equal(state.source, 'DOCKER_HOST');
      assert.equal(state.endpoint, `unix://${SOCKET}`);
      assert.equal(await c.docker().ping().then(String), 'OK');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('connects through a Docker context (fixture context pointing at the unix socket)', async () => {
    const c = track(new EngineConnection({ env: { DOCKER_CONFIG: path.join(FIXTURES, 'unix-context') }, retry: false, healthIntervalMs: 0 }));
    const state = await c.connect();
    assert.ok(state.kind === 'connected', JSON.stringify(state));
    assert.equal(state.source, 'context local-unix');
    assert.equal(state.endpoint, 'unix:///var/run/docker.sock');
  });

  it('recovers by itself when the endpoint comes back, and notices when it goes away', async () => {
    const port = await freePort();
    const c = track(
      new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` }, retry: { initialMs: 100, maxMs: 400 }, healthIntervalMs: 200 }),
    );
    const first = await c.connect();
    assert.ok(first.kind === 'disconnected', JSON.stringify(first));
    assert.match(first.attempts[0].error ?? '', /connection refused/);

    // The engine "comes back": a TCP proxy to the unix socket starts only now.
    let proxy = await startProxy(port);
    try {
      const back = await waitFor(c, 'connected');
      assert.ok(back.kind === 'connected');
      assert.equal(back.endpoint, `tcp://127.0.0.1:${port}`);
      assert.match(back.info.apiVersion, /^1\.\d+$/);
      assert.equal(String(await c.docker().ping()), 'OK');

      // It goes away: the health ping notices and the state turns disconnected without a call.
      await proxy.close();
      const gone = await waitFor(c, 'disconnected');
      assert.ok(gone.kind === 'disconnected');
      assert.match(gone.attempts[0].error ?? '', /connection refused/);

      // And comes back once more.
      proxy = await startProxy(port);
      await waitFor(c, 'connected');
      assert.equal(String(await c.docker().ping()), 'OK');
    } finally {
      await proxy.close();
    }
  });
});
