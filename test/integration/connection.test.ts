import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { contextId } from '../../src/engine/resolve';
import { EngineConnection } from '../../src/engine/connection';
import { noticesBlackHole, waitFor } from './connectionHelpers';

const SOCKET = '/var/run/docker.sock';
const FIXTURES = path.join(__dirname, '..', 'unit', 'fixtures', 'docker-config');
const NO_CONFIG = path.join(FIXTURES, 'does-not-exist');

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

/**
 * A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`
 * (files named like DOCKER_CERT_PATH expects: ca.pem, cert.pem, key.pem for the client).
 */
function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=container-lineage test CA');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run('req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.ext');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  run('req', ...ec, '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=client');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'client.ext');
}

/** A TLS front (server cert, client certs required) for the engine's unix socket, on a free port. */
async function startTlsProxy(dir: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: fs.readFileSync(path.join(dir, 'server-key.pem')),
      cert: fs.readFileSync(path.join(dir, 'server-cert.pem')),
      ca: fs.readFileSync(path.join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client) => {
      const upstream = net.connect(SOCKET);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => (client.destroy(), upstream.destroy());
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
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

  /** {@link noticesBlackHole} for a connection through `env` to the engine behind `port`: TCP keepalive after 2 s idle, 10 probes 1 s apart (libuv's), then the confirming /_ping's 3 s and the re-probe's 3 s. */
  const blackHole = (env: Record<string, string>, port: number) => noticesBlackHole(track(new EngineConnection({ env, retry: { initialMs: 100, maxMs: 400 } })), port, 25_000);

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
    assert.equal(state.info.kind, 'docker');
    assert.equal(state.info.title, `Docker Engine ${state.info.version}`);
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
      new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` }, retry: { initialMs: 100, maxMs: 400 } }),
    );
    // As the extension does: the held event stream is the health signal (no ping while connected).
    const hold = c.events.acquire();
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

      // It goes away: the event stream ends, one /_ping confirms, and the state turns disconnected without a call.
      await proxy.close();
      const gone = await waitFor(c, 'disconnected');
      assert.ok(gone.kind === 'disconnected');
      assert.match(gone.attempts[0].error ?? '', /connection refused/);

      // And comes back once more.
      proxy = await startProxy(port);
      await waitFor(c, 'connected');
      assert.equal(String(await c.docker().ping()), 'OK');
      for (let i = 0; i < 100 && !c.events.open; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(c.events.open, 'the event stream reopened with the connection');
    } finally {
      hold.dispose();
      await proxy.close();
    }
  });

  it('notices a TCP engine that stops answering (its packets dropped, nothing closed) without a request: the event stream\'s TCP keepalive fails it', async () => {
    const port = await freePort();
    const proxy = await startProxy(port);
    try {
      await blackHole({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, port);
    } finally {
      await proxy.close();
    }
  });

  describe('over TCP with TLS (a TLS front for the engine socket, certificates made by openssl)', () => {
    let dir = '';
    let proxy: { port: number; close(): Promise<void> } | undefined;
    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-tls-'));
      makeCertificates(dir);
      proxy = await startTlsProxy(dir);
    });
    after(async () => {
      await proxy?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('DOCKER_HOST tcp:// + DOCKER_TLS_VERIFY=1 + DOCKER_CERT_PATH connects with a verified server and a client certificate', async () => {
      const c = track(
        new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${proxy!.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }, retry: false, healthIntervalMs: 0 }),
      );
      const state = await c.connect();
      assert.ok(state.kind === 'connected', JSON.stringify(state));
      assert.equal(state.endpoint, `tcp://127.0.0.1:${proxy!.port} (TLS)`);
      assert.equal(String(await c.docker().ping()), 'OK');
    });

    it('DOCKER_TLS=1 (encrypt, do not verify the server) connects with the client certificate', async () => {
      const c = track(
        new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${proxy!.port}`, DOCKER_TLS: '1', DOCKER_CERT_PATH: dir }, retry: false, healthIntervalMs: 0 }),
      );
      const state = await c.connect();
      assert.ok(state.kind === 'connected', JSON.stringify(state));
      assert.equal(state.endpoint, `tcp://127.0.0.1:${proxy!.port} (TLS, not verified)`);
    });

    it('notices a TLS engine that stops answering, also without the verifying agent (DOCKER_TLS=1 has its own)', async () => {
      await blackHole({ DOCKER_HOST: `tcp://127.0.0.1:${proxy!.port}`, DOCKER_TLS: '1', DOCKER_CERT_PATH: dir }, proxy!.port);
    });

    it('a CA that did not sign the server certificate is a failed attempt naming TLS', async () => {
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-tls-other-'));
      try {
        makeCertificates(other); // a different CA (and a client cert the server does not trust)
        const c = track(
          new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${proxy!.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: other }, retry: false, healthIntervalMs: 0 }),
        );
        const state = await c.connect();
        assert.ok(state.kind === 'disconnected', JSON.stringify(state));
        assert.match(state.attempts[0].error ?? '', /^TLS failed: .*certificate/i);
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    });

    it('plain HTTP to the TLS port is refused with a message, not a hang', async () => {
      const c = track(new EngineConnection({ env: { DOCKER_HOST: `tcp://127.0.0.1:${proxy!.port}` }, retry: false, healthIntervalMs: 0 }));
      const state = await c.connect();
      assert.ok(state.kind === 'disconnected', JSON.stringify(state));
      assert.match(state.attempts[0].error ?? '', /if the engine expects TLS, set DOCKER_TLS_VERIFY=1/);
    });

    it('a Docker context with TLS material in the context store connects', async () => {
      const config = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-ctx-'));
      try {
        const name = 'tls-front';
        const id = contextId(name);
        fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: name }));
        fs.mkdirSync(path.join(config, 'contexts', 'meta', id), { recursive: true });
        fs.writeFileSync(
          path.join(config, 'contexts', 'meta', id, 'meta.json'),
          JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: `tcp://127.0.0.1:${proxy!.port}`, SkipTLSVerify: false } } }),
        );
        const tlsDir = path.join(config, 'contexts', 'tls', id, 'docker');
        fs.mkdirSync(tlsDir, { recursive: true });
        for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.copyFileSync(path.join(dir, f), path.join(tlsDir, f));
        const c = track(new EngineConnection({ env: { DOCKER_CONFIG: config }, retry: false, healthIntervalMs: 0 }));
        const state = await c.connect();
        assert.ok(state.kind === 'connected', JSON.stringify(state));
        assert.equal(state.source, `context ${name}`);
        assert.equal(state.endpoint, `tcp://127.0.0.1:${proxy!.port} (TLS)`);
      } finally {
        fs.rmSync(config, { recursive: true, force: true });
      }
    });
  });
});
