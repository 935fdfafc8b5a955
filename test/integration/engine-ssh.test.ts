/**
 * ssh:// endpoints against the real engine, through an SSH front (sshFront.ts: an SSH server
 * that runs `docker system dial-stdio` as the remote docker CLI would): connect with the key in
 * HOME/.ssh, read the engine, receive events over the held stream, and notice an engine whose
 * network is gone (packets dropped, nothing closed) without an engine request.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EngineConnection } from '../../src/engine/connection';
import { eventStreamOpen, noticesBlackHole, within } from './connectionHelpers';
import { startSshFront, type SshFront } from './sshFront';

describe('engine/connection over ssh:// (an SSH front for the real engine)', function () {
  let front: SshFront;
  const open: EngineConnection[] = [];
  const connection = (): EngineConnection => {
    const c = new EngineConnection({ env: { DOCKER_HOST: `ssh://${front.user}@127.0.0.1:${front.port}`, HOME: front.home }, retry: { initialMs: 100, maxMs: 400 } });
    open.push(c);
    return c;
  };
  before(async () => {
    front = await startSshFront();
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.dispose();
  });
  after(async () => {
    await front?.close();
  });

  it('connects with the key in HOME/.ssh, reads the engine, and the held event stream delivers events', async () => {
    const c = connection();
    const hold = c.events.acquire();
    const tag = `cl-ssh-test:${process.pid}-${Date.now()}`;
    try {
      const state = await c.connect();
      assert.ok(state.kind === 'connected', JSON.stringify(state));
      assert.equal(state.endpoint, `ssh://${front.user}@127.0.0.1:${front.port}`);
      assert.equal(state.info.kind, 'docker');
      const images = await c.docker().listImages();
      assert.ok(images.some((i) => (i.RepoTags ?? []).includes('busybox:latest')), 'busybox:latest is listed through ssh');
      assert.ok(await eventStreamOpen(c), 'the event stream is open');
      const seen = new Promise<void>((resolve) => {
        const sub = c.events.onEvent((e) => {
          if (e.Type === 'image' && e.Action === 'tag' && e.Actor?.Attributes?.name === tag) {
            sub.dispose();
            resolve();
          }
        });
      });
      execFileSync('docker', ['tag', 'busybox:latest', tag]);
      assert.equal(await within(seen.then(() => true), 10_000), true, 'no tag event over ssh within 10 s');
      assert.ok(front.dials >= 2, `one dial-stdio per connection (${front.dials})`);
    } finally {
      hold.dispose();
      execFileSync('docker', ['rmi', tag], { stdio: 'ignore' });
    }
  });

  it('notices an ssh engine whose network is gone (packets dropped, nothing closed) without an engine request', async () => {
    // ssh keepalive: 3 unanswered, 2 s apart (about 7 s); the confirming /_ping (3 s); the
    // re-probe's ssh handshake (10 s): about 20 s
    await noticesBlackHole(connection(), front.port, 30_000);
  });
});
