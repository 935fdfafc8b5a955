import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { EngineConnection } from '../../src/engine/connection';
import { TransactionRunner } from '../../src/engine/transaction';
import { currentOwner } from '../../src/engine/owner';
import { sweepOrphans } from '../../src/engine/sweep';
import { connectEngine, containersOfSession, IMAGE, removeByTestLabel, suffix } from './helpers-throwaway';

/** Start the orphan maker; resolve with its pid and session id once its containers run. */
function startOrphanMaker(suite: string): Promise<{ pid: number; sessionId: string; kill: () => void }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures', 'orphan-maker.ts'), suite], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\d+) (\S+)/.exec(out);
      if (m) resolve({ pid: Number(m[1]), sessionId: m[2], kill: () => child.kill('SIGKILL') });
    });
    child.on('exit', (code) => reject(new Error(`orphan maker exited early (${code})`)));
  });
}

describe('sweep of orphaned throwaway containers (real engine)', function () {
  const suite = `sweep-${suffix()}`;
  let engine: EngineConnection;
  let docker: Docker;

  before(async () => {
    ({ engine, docker } = await connectEngine());
  });
  after(async () => {
    if (docker) await removeByTestLabel(docker, suite);
    engine?.dispose();
  });

  it('removes the containers of a killed process and keeps those of a live session', async function () {
    this.timeout(120_000);
    // A live session in this process (another "window"): one running transaction.
    const live = new TransactionRunner(docker, { labels: { 'io.container-lineage.test': suite } });
    const ac = new AbortController();
    const running = live.run({ image: IMAGE, cmd: ['sleep', '60'], signal: ac.signal });
    try {
      const maker = await startOrphanMaker(suite);
      maker.kill();
      // wait until the process is really gone
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(maker.pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        } catch {
          break;
        }
      }
      const orphans = await containersOfSession(docker, maker.sessionId);
      assert.ok(orphans.length >= 3, `orphans before sweep: ${orphans.length}`);
      for (let i = 0; i < 100 && live.live.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(live.live.length, 1);

      // The next activation: a new session sweeps.
      const report = await sweepOrphans(docker, currentOwner(), { labels: [`io.container-lineage.test=${suite}`] });
      assert.deepEqual(report.failed, []);
      assert.deepEqual(new Set(report.removed.map((c) => c.id)), new Set(orphans));
      assert.ok(report.removed.every((c) => c.verdict.action === 'remove' && c.verdict.reason === 'owner-dead'));
      assert.deepEqual(report.kept.map((c) => c.id), live.live);
      assert.equal(report.kept[0].verdict.reason, 'owner-alive');
      assert.deepEqual(await containersOfSession(docker, maker.sessionId), []);
      assert.equal((await containersOfSession(docker, live.owner.sessionId)).length, 1);
    } finally {
      ac.abort();
      const r = await running;
      assert.equal(r.status, 'cancelled');
      await live.dispose();
    }
    assert.deepEqual(await containersOfSession(docker, live.owner.sessionId), []);
  });
});
