import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { TransactionRunner } from '../../src/engine/transaction';
import { WarmPool } from '../../src/engine/pool';
import { LABEL_POOL } from '../../src/core/labels';
import { runBounded } from '../../src/core/schedule';
import { containersOfSession, IMAGE, suffix, throwawaySuite } from './helpers-throwaway';
import { cli } from './helpers-cli';

describe('warm pool (real engine)', function () {
  const ctx = throwawaySuite('pool');
  const { suite } = ctx;
  let docker: Docker;
  let runner: TransactionRunner;
  before(() => {
    ({ docker, runner } = ctx);
  });

  it('keeps K started containers labelled as pooled, each serves exactly one transaction, drained after', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 3 });
    await pool.ready();
    const idle = await docker.listContainers({ filters: { label: [`${LABEL_POOL}=${IMAGE}`, `io.container-lineage.test=${suite}`] } });
    assert.equal(idle.length, 3);
    assert.ok(idle.every((c) => c.State === 'running'));

    const results = (await runBounded(8, 2, () => pool.run({ cmd: ['sh', '-c', 'echo out; echo err >&2; hostname; exit 4'] }))).results;
    const hostnames = new Set<string>();
    const ids = new Set<string>();
    for (const r of results) {
      assert.ok(r);
      assert.equal(r.status, 'exited', r.error);
      assert.equal(r.exitCode, 4);
      assert.equal(r.mode, 'warm');
      assert.equal(r.stderr, 'err\n');
      const [out, host] = r.stdout.split('\n');
      assert.equal(out, 'out');
      hostnames.add(host);
      ids.add(r.containerId);
      assert.ok(r.timings.acquire >= 0 && r.timings.exec >= 0);
      assert.ok(Number.isNaN(r.timings.create), 'create is background work, not the transaction’s');
    }
    assert.equal(ids.size, 8, 'eight transactions used eight different containers');
    assert.equal(hostnames.size, 8);
    await pool.settle();
    for (const id of ids) {
      await assert.rejects(docker.getContainer(id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    }
    // the pool tops itself up again in the background (no acquire needed)
    for (let i = 0; i < 200 && pool.idleCount < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.idleCount, 3, 'refilled to K idle containers');
    const stats = pool.refillStats();
    assert.ok(stats.created >= 11, `created ${stats.created}`);
    assert.equal(stats.removeMs.length >= 8, true);
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
    await assert.rejects(pool.run({ cmd: ['true'] }).then((r) => (r.status === 'failed' ? Promise.reject(new Error(r.error)) : r)), /drained/);
  });

  it('a command that leaves a background process holding its output still completes with its exit code', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 1 });
    const r = await pool.run({ cmd: ['sh', '-c', 'sleep 30 & echo started; exit 2'], timeoutMs: 20_000 });
    assert.equal(r.status, 'exited', r.error);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stdout, 'started\n');
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('a pooled transaction past its timeout is killed and its container removed', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 1 });
    const r = await pool.run({ cmd: ['sleep', '30'], timeoutMs: 1000 });
    assert.equal(r.status, 'timeout');
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('cancelling a pooled transaction removes its container', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 1 });
    await pool.ready();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await pool.run({ cmd: ['sleep', '30'], signal: ac.signal });
    assert.equal(r.status, 'cancelled');
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('runner.dispose() removes idle pool containers too', async () => {
    const own = new TransactionRunner(docker, { labels: { 'io.container-lineage.test': suite } });
    const pool = new WarmPool(own, { image: IMAGE, size: 2 });
    await pool.ready();
    assert.equal((await containersOfSession(docker, own.owner.sessionId)).length, 2);
    await own.dispose();
    assert.deepEqual(await containersOfSession(docker, own.owner.sessionId), []);
    await pool.drain();
  });

  it('a missing image fails the pool with a clear message', async () => {
    const pool = new WarmPool(runner, { image: `container-lineage-missing-${suffix()}:x`, size: 1 });
    await assert.rejects(pool.ready(), /build or pull it first/);
    const r = await pool.run({ cmd: ['true'] });
    assert.equal(r.status, 'failed');
    await pool.drain();
  });

  it('attached containers: started with stdin open and attached, env and working directory applied, output exact on both streams', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 1 });
    await pool.ready();
    assert.equal(pool.via, 'attached');
    const [idle] = await docker.listContainers({ filters: { label: [`${LABEL_POOL}=${IMAGE}`, `io.container-lineage.test=${suite}`] } });
    const info = await docker.getContainer(idle.Id).inspect();
    assert.equal(info.Config.OpenStdin, true);
    assert.equal(info.Config.StdinOnce, true);
    const r = await pool.run({ cmd: ['sh', '-c', 'printf "%s|" "$GREETING"; pwd; printf "no newline" >&2; read x; echo "stdin: ${x:-none}"; exit 0'], env: ['GREETING=hello world'], workingDir: '/tmp' });
    assert.equal(r.status, 'exited', r.error);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'hello world|/tmp\nstdin: none\n', 'the command reads an empty stdin, not the protocol');
    assert.equal(r.stderr, 'no newline');
    assert.equal(r.containerId, idle.Id);
    const missing = await pool.run({ cmd: ['no-such-command-here'] });
    assert.equal(missing.status, 'exited');
    assert.equal(missing.exitCode, 127);
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('a container killed from outside during its transaction ends it with the container exit code, and is removed', async () => {
    const pool = new WarmPool(runner, { image: IMAGE, size: 1 });
    await pool.ready();
    const [idle] = await docker.listContainers({ filters: { label: [`${LABEL_POOL}=${IMAGE}`, `io.container-lineage.test=${suite}`] } });
    const running = pool.run({ cmd: ['sh', '-c', 'echo started; sleep 30'], timeoutMs: 60_000 });
    // kill once the command is running (its first output line is there)
    for (let i = 0; i < 200; i++) {
      const logs = (await docker.getContainer(idle.Id).top().catch(() => ({ Processes: [] }))) as { Processes: string[][] };
      if (logs.Processes.some((p) => p.join(' ').includes('sleep 30'))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await docker.getContainer(idle.Id).kill();
    const r = await running;
    assert.equal(r.status, 'exited', r.error);
    assert.equal(r.exitCode, 137);
    assert.equal(r.stdout, 'started\n');
    await pool.drain();
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('exec stays the fallback: asked for, and taken by itself for an image without sh', async () => {
    const viaExec = new WarmPool(runner, { image: IMAGE, size: 1, via: 'exec' });
    const e = await viaExec.run({ cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    assert.deepEqual([e.status, e.exitCode, e.stdout, e.stderr, viaExec.via], ['exited', 3, 'out\n', 'err\n', 'exec']);
    await viaExec.drain();
    // An image with sleep but no sh: busybox with /bin/sh removed (committed from a container this test makes).
    const repo = `cl-pool-nosh-${suffix()}`;
    const maker = await docker.createContainer({ Image: IMAGE, Cmd: ['rm', '/bin/sh'], Labels: { 'io.container-lineage.test': suite } });
    try {
      await maker.start();
      await maker.wait();
      await maker.commit({ repo, tag: 'test' });
    } finally {
      await maker.remove({ force: true });
    }
    try {
      const pool = new WarmPool(runner, { image: `${repo}:test`, size: 1 });
      const r = await pool.run({ cmd: ['echo', 'no shell needed'] });
      assert.equal(r.status, 'exited', r.error);
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout, 'no shell needed\n');
      assert.equal(pool.via, 'exec');
      await pool.drain();
      assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
    } finally {
      await docker.getImage(`${repo}:test`).remove({ force: true });
    }
  });

  it('drains itself after its idle time, never during a transaction', async () => {
    let drained!: () => void;
    const idleDrained = new Promise<void>((r) => (drained = r));
    const pool = new WarmPool(runner, { image: IMAGE, size: 2, idleDrainMs: 150, onIdleDrain: () => drained() });
    const r = await pool.run({ cmd: ['sh', '-c', 'sleep 1; echo finished'] });
    assert.equal(r.status, 'exited', r.error);
    assert.equal(r.stdout, 'finished\n', 'a transaction longer than the idle time runs to its end');
    await idleDrained;
    assert.equal(pool.drained, true);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
    const after = await pool.run({ cmd: ['true'] });
    assert.equal(after.status, 'failed');
    assert.match(after.error ?? '', /drained/);
  });

  it('a changed idle drain applies to a running pool, counted from its last transaction', async () => {
    let drained!: () => void;
    const idleDrained = new Promise<void>((r) => (drained = r));
    const pool = new WarmPool(runner, { image: IMAGE, size: 1, onIdleDrain: () => drained() });
    const r = await pool.run({ cmd: ['echo', 'kept'] });
    assert.equal(r.stdout, 'kept\n', r.error);
    assert.throws(() => pool.setIdleDrainMs(-1), /idle drain must be ≥ 0 ms/);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(pool.drained, false, 'no idle drain set: the pool stays');
    pool.setIdleDrainMs(200); // 300 ms already idle: drains now
    await idleDrained;
    assert.equal(pool.drained, true);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('CLI transactions --warm: a pool of the concurrency, and the report says why it did or did not help', async function () {
    this.timeout(180_000);
    const r = await cli(['transactions', IMAGE, '-n', '5', '-c', '2', '--warm', '--', 'sh', '-c', 'echo hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mode warm \(pool of 2\), concurrency 2/);
    assert.match(r.stdout, /why the pool did or did not help:\n {2}- The pool was made for this run: filling it with 2 containers took \d+ ms/);
    // 5 transactions on a pool of 2: at least the last ones cannot all have found a ready container, or all did; either way it is said
    assert.match(r.stdout, /(\d of 5 transactions found no ready container|Every transaction found a ready container)/);
    const json = JSON.parse((await cli(['transactions', IMAGE, '-n', '3', '-c', '1', '--warm', '--json', '--', 'true'])).stdout);
    assert.equal(json.poolSize, 1);
    assert.equal(json.refill.evidence.hits + json.refill.evidence.misses, 3);
    const bad = await cli(['transactions', IMAGE, '--warm', '--pool', '3', '--', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /either --pool K or --warm/);
  });
});
