import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';
import { readStatsOnce, streamStats } from '../../src/engine/stats';

const LABEL = 'io.container-lineage.test';
const SUITE = `stats-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

describe('live stats (real engine)', function () {
  this.timeout(60000);
  let docker: Docker;
  const created: string[] = [];

  before(async () => {
    const engine = new EngineConnection({ env: process.env });
    const state = await engine.connect();
    assert.equal(state.kind, 'connected', 'a Docker engine must be running (scripts/engine.sh)');
    docker = engine.docker();
  });
  after(async () => {
    for (const id of created) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  });

  async function container(cmd: string[], start: boolean): Promise<string> {
    const c = await docker.createContainer({ Image: 'busybox:latest', Cmd: cmd, Labels: { [LABEL]: SUITE }, HostConfig: { NetworkMode: 'none' } });
    created.push(c.id);
    if (start) await c.start();
    return c.id;
  }

  it('a stopped container is answered at once with a clear state, not a hang', async () => {
    const id = await container(['true'], true);
    await docker.getContainer(id).wait();
    const started = Date.now();
    const out = await readStatsOnce(docker, id, { timeoutMs: 30000 });
    assert.equal(out.kind, 'not-running');
    assert.ok(out.kind === 'not-running' && out.state === 'exited' && /exited/.test(out.message));
    // Well below the 30 s limit: the state check answered, not a timeout.
    assert.ok(Date.now() - started < 15000);
    const end = await streamStats(docker, id, () => assert.fail('no sample expected'));
    assert.equal(end.reason, 'stopped');
  });

  it('a created (never started) container and a missing one are reported as such', async () => {
    const id = await container(['true'], false);
    const out = await readStatsOnce(docker, id);
    assert.ok(out.kind === 'not-running' && out.state === 'created');
    assert.equal((await readStatsOnce(docker, `cl-missing-${SUITE}`)).kind, 'not-found');
  });

  it('a running container gives CPU %, memory and PIDs', async () => {
    const id = await container(['sh', '-c', 'while :; do :; done'], true);
    const out = await readStatsOnce(docker, id);
    assert.equal(out.kind, 'sample');
    if (out.kind !== 'sample') return;
    assert.ok(out.summary.cpuPercent > 10, `busy loop CPU % ${out.summary.cpuPercent}`);
    assert.ok(out.summary.memoryBytes > 0 && out.summary.memoryLimitBytes > 0);
    assert.ok(out.summary.pids >= 1);
    await docker.getContainer(id).kill();
  });

  it('a stream delivers samples and ends by itself when the container stops', async () => {
    const id = await container(['sleep', '4'], true);
    const samples: number[] = [];
    const end = await streamStats(docker, id, (s) => samples.push(s.memoryBytes), { idleMs: 2000 });
    assert.equal(end.reason, 'stopped');
    assert.ok(samples.length >= 1, 'at least one sample while it ran');
  });

  it('a stream can be cancelled', async () => {
    const id = await container(['sleep', '60'], true);
    const ctl = new AbortController();
    let n = 0;
    const end = await streamStats(docker, id, () => {
      if (++n === 1) ctl.abort();
    }, { signal: ctl.signal });
    assert.equal(end.reason, 'cancelled');
  });
});
