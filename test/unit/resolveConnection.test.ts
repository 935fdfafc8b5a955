import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineConnection, EngineUnavailableError, type EngineState } from '../../src/engine/connection';

const FIXTURES = path.join(__dirname, 'fixtures', 'docker-config');

/** EngineConnection over an environment map only (no engine needed: these endpoints refuse for real). */
function connection(env: Record<string, string>, extra: ConstructorParameters<typeof EngineConnection>[0] = {}) {
  const lines: string[] = [];
  const c = new EngineConnection({ env: { HOME: '/home/tester', ...env }, log: (level, m) => lines.push(`${level} ${m}`), retry: false, ...extra });
  return { c, lines };
}

describe('engine/connection without an engine (real refusals on loopback)', () => {
  const open: EngineConnection[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.dispose();
  });

  it('DOCKER_HOST=tcp://127.0.0.1:1 ends disconnected with the attempt and its error listed', async () => {
    const { c, lines } = connection({ DOCKER_HOST: 'tcp://127.0.0.1:1' });
    open.push(c);
    const seen: string[] = [];
    c.onDidChangeState((s) => seen.push(s.kind));
    const state = await c.connect();
    assert.equal(state.kind, 'disconnected');
    assert.ok(state.kind === 'disconnected');
    assert.deepEqual(state.attempts, [{ source: 'DOCKER_HOST', endpoint: 'tcp://127.0.0.1:1', error: 'connection refused (nothing is listening there)' }]);
    assert.match((state.notes ?? []).join(' '), /DOCKER_HOST is set, so only it was tried/);
    assert.deepEqual(seen, ['disconnected']); // initial state is already 'connecting'
    assert.ok(lines.some((l) => l.startsWith('warn ') && l.includes('tcp://127.0.0.1:1')), lines.join('\n'));
    assert.throws(() => c.docker(), (err: unknown) => err instanceof EngineUnavailableError && /tcp:\/\/127\.0\.0\.1:1: connection refused/.test(err.message));
  });

  it('a context that does not exist ends disconnected saying so', async () => {
    const { c } = connection({ DOCKER_CONFIG: path.join(FIXTURES, 'missing-context') });
    open.push(c);
    const state = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.equal(state.attempts.length, 1);
    assert.equal(state.attempts[0].source, 'context gone');
    assert.match(state.attempts[0].error ?? '', /context 'gone' not found in .*; run `docker context ls`/);
  });

  it('a malformed DOCKER_HOST ends disconnected, it does not throw', async () => {
    const { c } = connection({ DOCKER_HOST: 'xyz://' });
    open.push(c);
    const state = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.equal(state.attempts[0].error, "DOCKER_HOST 'xyz://' is not a supported address; use unix://, tcp://, ssh:// or npipe://");
  });

  it('TLS verification without a CA certificate is a failed attempt that says which file is missing', async () => {
    const { c } = connection({ DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(FIXTURES, 'no-certs-here') });
    open.push(c);
    const state = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.match(state.attempts[0].error ?? '', /TLS verification needs a CA certificate, but .*no-certs-here\/ca\.pem does not exist/);
  });

  it('a unix socket that does not exist is a failed attempt "no socket at <path>"', async () => {
    const { c } = connection({ DOCKER_HOST: 'unix:///nonexistent-runtime/docker.sock' });
    open.push(c);
    const state = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.equal(state.attempts[0].error, 'no socket at /nonexistent-runtime/docker.sock');
  });

  it('ssh:// goes through the bundled ssh client: a refused port is a failed attempt, not a throw', async () => {
    const { c } = connection({ DOCKER_HOST: 'ssh://nobody@127.0.0.1:1', SSH_AUTH_SOCK: '' });
    open.push(c);
    const state = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.deepEqual(state.attempts, [{ source: 'DOCKER_HOST', endpoint: 'ssh://nobody@127.0.0.1:1', error: 'connection refused (nothing is listening there)' }]);
  });

  it('concurrent connect() calls settle on the newest attempt (a setting change supersedes a running one)', async () => {
    const { c } = connection({ DOCKER_HOST: 'tcp://127.0.0.1:1' });
    open.push(c);
    const first = c.connect();
    c.updateOptions({ host: 'unix:///nonexistent-runtime/other.sock' });
    const second = c.connect();
    const [a, b] = await Promise.all([first, second]);
    assert.deepEqual(a, b);
    assert.ok(b.kind === 'disconnected');
    assert.deepEqual(b.attempts.map((x) => [x.source, x.endpoint]), [['setting', 'unix:///nonexistent-runtime/other.sock']]);
  });

  it('dispose stops everything: no state change afterwards', async () => {
    const { c } = connection({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, { retry: { initialMs: 10 } });
    const seen: string[] = [];
    c.onDidChangeState((s) => seen.push(s.kind));
    const pending = c.connect();
    c.dispose();
    await pending;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, []);
    assert.equal(c.state.kind, 'connecting'); // the attempt that finished after dispose was dropped
  });

  it('keeps retrying in the background while disconnected, and the host setting replaces DOCKER_HOST on reconnect', async () => {
    const { c, lines } = connection({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, { retry: { initialMs: 20, maxMs: 40 } });
    open.push(c);
    await c.connect();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (lines.filter((l) => l.startsWith('debug trying DOCKER_HOST')).length >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    c.updateOptions({ host: 'xyz://' });
    const state: EngineState = await c.connect();
    assert.ok(state.kind === 'disconnected');
    assert.deepEqual(state.attempts.map((a) => a.source), ['setting']);
    assert.match(state.attempts[0].error ?? '', /setting containerLineage\.engine\.host 'xyz:\/\/' is not a supported address/);
  });
});
