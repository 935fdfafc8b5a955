/**
 * No polling, on Docker and Podman, counted at the engine: the connection reaches the real engine
 * through a counting proxy socket (countingProxy.ts), so every request it makes is seen.
 *  - idle with the event stream open: the connection makes no request at all;
 *  - the views hidden: events arrive and are noted, nothing is fetched; shown again, only what
 *    the events made stale is listed;
 *  - the stream stopping: one `/_ping` confirms the engine, the stream reopens, still connected;
 *  - the engine going away (the proxy killed; the real engine is never touched): state
 *    `disconnected` without any request, reconnect checks with a doubling delay, and connected
 *    again with a new stream when the socket answers again.
 * Windows are a few seconds; nothing here asserts a duration (latencies are logged only).
 * Everything made here is named cl-poll-<suffix> and removed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection, type EngineState } from '../../src/engine/connection';
import { LineageSource } from '../../src/engine/lineageSource';
import { startCountingProxy, type CountingProxy } from './countingProxy';
import { ENGINES, podmanHost } from './engines';
import { waitFor } from './lineageHelpers';

const IDLE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const summary = (rs: readonly { method: string; path: string }[]) => rs.map((r) => `${r.method} ${r.path}`);

for (const target of ENGINES) {
  describe(`no polling on ${target.label}: the event stream is the health signal (counted by a proxy socket)`, function () {
    this.timeout(120_000);
    const suffix = randomBytes(3).toString('hex');
    let dir = '';
    let engineSocket = '';
    let proxy: CountingProxy;
    let engine: EngineConnection;
    let hold: { dispose(): void } | undefined;
    const logs: string[] = [];
    const tags: string[] = [];

    before(async () => {
      engineSocket = target.kind === 'podman' ? (await podmanHost()).replace(/^unix:\/\//, '') : '/var/run/docker.sock';
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `cl-poll-${suffix}-`));
      proxy = await startCountingProxy(path.join(dir, 'engine.sock'), engineSocket);
      engine = new EngineConnection({
        env: { DOCKER_HOST: `unix://${proxy.socketPath}` },
        retry: { initialMs: 100, maxMs: 400 },
        log: (level, message) => logs.push(`${level} ${message}`),
      });
      hold = engine.events.acquire();
      const state = await engine.connect();
      assert.ok(state.kind === 'connected' && state.info.kind === target.kind, JSON.stringify(state));
      await waitFor('event stream open', () => engine.events.open);
    });

    after(async () => {
      const docker = engine.state.kind === 'connected' ? engine.docker() : undefined;
      for (const t of tags) await docker?.getImage(t).remove().catch(() => undefined);
      hold?.dispose();
      engine?.dispose();
      await proxy?.kill();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('makes no request while idle with the event stream open (not even a ping)', async () => {
      const since = Date.now();
      await sleep(IDLE_MS);
      assert.deepEqual(summary(proxy.requestsSince(since)), []);
      assert.equal(proxy.openEventStreams(), 1, 'one event stream, still open');
      assert.equal(engine.state.kind, 'connected');
    });

    it('hidden views only note events; shown again, they list only what the events made stale', async () => {
      const source = new LineageSource(engine, { debounceMs: 50 });
      const seen: string[] = [];
      const sub = engine.events.onEvent((e) => seen.push(`${e.Type} ${e.Action}`));
      try {
        let view = source.acquire();
        await waitFor('first snapshot', () => source.snapshot);
        const listedAt = source.snapshot!.containersListedAt;
        view.dispose();
        assert.ok(engine.events.open, 'the connection still holds the stream');
        const since = Date.now();
        seen.length = 0;
        const tag = `cl-poll-${suffix}:hidden`;
        tags.push(tag);
        await engine.docker().getImage('busybox:latest').tag({ repo: `cl-poll-${suffix}`, tag: 'hidden' });
        await waitFor('the tag event', () => seen.some((e) => e.startsWith('image ')));
        await sleep(500); // past the debounce: a hidden source would have refreshed by now
        const tagged = proxy.requestsSince(since).filter((r) => !(r.method === 'POST' && r.path.endsWith('/tag')));
        assert.deepEqual(summary(tagged), [], 'hidden: nothing fetched although an image event arrived');

        const shown = Date.now();
        view = source.acquire();
        await waitFor('the new tag shown', () => source.snapshot?.images.some((i) => i.names?.some((n) => n.endsWith(tag))));
        await sleep(300);
        const after = summary(proxy.requestsSince(shown));
        assert.ok(after.includes('GET /images/json'), after.join(', '));
        if (!seen.some((e) => e.startsWith('container '))) {
          assert.ok(!after.includes('GET /containers/json'), `only images were stale: ${after.join(', ')}`);
          // The kept container list keeps its time: its "Up 5 minutes" texts are as old as it is.
          assert.equal(source.snapshot!.containersListedAt, listedAt, 'an images-only refresh must not re-date the container list');
        } else assert.ok(source.snapshot!.containersListedAt > listedAt, 'a container list taken again carries its new time');
        view.dispose();
      } finally {
        sub.dispose();
        source.dispose();
      }
    });

    it('a stream that stops is confirmed by one /_ping and reopened; the state stays connected', async () => {
      const states: EngineState['kind'][] = [];
      const sub = engine.onDidChangeState((s) => states.push(s.kind));
      try {
        const connects = engine.events.connects;
        const since = Date.now();
        engine.events.dropConnectionForTest();
        await waitFor('stream reopened', () => engine.events.connects > connects && engine.events.open);
        const reqs = summary(proxy.requestsSince(since));
        assert.deepEqual(reqs, ['GET /_ping', 'GET /events'], reqs.join(', '));
        assert.deepEqual(states, [], 'no state change');
      } finally {
        sub.dispose();
      }
    });

    it('the engine going away is noticed from the stream alone; reconnect checks back off; it comes back', async () => {
      const t0 = Date.now();
      const gone = new Promise<number>((resolve) => {
        const sub = engine.onDidChangeState((s) => {
          if (s.kind === 'disconnected') {
            sub.dispose();
            resolve(Date.now());
          }
        });
      });
      await proxy.kill();
      const noticed = await gone;
      console.log(`      engine gone → disconnected in ${noticed - t0} ms`);
      const state = engine.state;
      assert.ok(state.kind === 'disconnected');
      assert.match(state.attempts[0]?.error ?? '', /no socket|nothing is listening/);
      assert.ok(logs.some((l) => /lost the engine .*event stream/.test(l)), logs.join('\n'));

      // Reconnect checks while disconnected, each delay double the last up to the cap (100 → 400 ms here).
      await waitFor('three retries', () => logs.filter((l) => l.includes('retrying the engine connection in')).length >= 4);
      const delays = logs.filter((l) => l.includes('retrying the engine connection in')).map((l) => Number(/in ([\d.]+) s/.exec(l)?.[1]));
      assert.deepEqual(delays.slice(0, 4), [0.1, 0.2, 0.4, 0.4]);

      proxy = await startCountingProxy(proxy.socketPath, engineSocket);
      await waitFor('connected again', () => engine.state.kind === 'connected');
      await waitFor('event stream reopened', () => engine.events.open && proxy.openEventStreams() === 1);
      // Reconnect checks (ping + version; on a loaded machine one may time out and be retried), then one stream.
      const back = summary(proxy.requests);
      assert.equal(back.at(-1), 'GET /events', back.join(', '));
      assert.deepEqual([...new Set(back.slice(0, -1))].sort(), ['GET /_ping', 'GET /version'], back.join(', '));
      const since = Date.now();
      await sleep(1000);
      assert.deepEqual(summary(proxy.requestsSince(since)), [], 'connected again: no reconnect checks any more');
    });
  });
}
