import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { TransactionRunner } from '../../src/engine/transaction';
import { runBatch } from '../../src/engine/batch';
import { LABEL_OWNER_PID } from '../../src/core/labels';
import { containersOfSession, IMAGE, throwawaySuite } from './helpers-throwaway';
import { cli } from './helpers-cli';

describe('batches and the CLI (real engine)', function () {
  const ctx = throwawaySuite('batch');
  const { suite } = ctx;
  let docker: Docker;
  let runner: TransactionRunner;
  before(() => {
    ({ docker, runner } = ctx);
  });

  it('a batch reports count, failures, throughput and per-phase percentiles', async function () {
    this.timeout(300_000);
    const { report, results } = await runBatch(runner, { image: IMAGE, cmd: ['true'], count: 8, concurrency: 3 });
    assert.equal(results.length, 8);
    assert.equal(report.completed, 8);
    assert.equal(report.succeeded, 8);
    assert.equal(report.failures, 0);
    assert.ok(report.throughput > 0);
    for (const p of ['create', 'start', 'run', 'remove', 'total'] as const) {
      assert.equal(report.phases[p].n, 8, p);
      assert.ok(report.phases[p].p50 <= report.phases[p].p95 && report.phases[p].p95 <= report.phases[p].p99);
    }
    assert.equal(report.phases.exec.n, 0);
    assert.equal(report.notRemoved, 0);
  });

  it('cancelling a batch of 50 at concurrency 4 halfway leaves no container with our label', async function () {
    this.timeout(300_000);
    const ac = new AbortController();
    const { report } = await runBatch(runner, {
      image: IMAGE,
      cmd: ['sleep', '0.2'],
      count: 50,
      concurrency: 4,
      signal: ac.signal,
      onProgress: (done) => {
        if (done === 25) ac.abort();
      },
    });
    assert.equal(report.cancelled, true);
    assert.ok(report.completed >= 25 && report.completed < 50, `completed ${report.completed}`);
    assert.equal(report.notRemoved, 0);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('CLI run: streams separated, exits with the command’s exit code', async function () {
    this.timeout(120_000);
    const r = await cli(['run', IMAGE, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err$/m);
  });

  it('CLI run: bad usage exits 2 with a message', async () => {
    const r = await cli(['run', IMAGE]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /an IMAGE and a command are required/);
  });

  it('CLI transactions --json prints the report', async function () {
    this.timeout(120_000);
    const r = await cli(['transactions', IMAGE, '-n', '4', '-c', '2', '--json', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.completed, 4);
    assert.equal(report.failures, 0);
    assert.equal(typeof report.phases.total.p95, 'number');
  });

  it('CLI transactions: SIGINT mid-batch cancels, exits 130, removes its containers', async function () {
    this.timeout(120_000);
    let pid = 0;
    const done = cli(['transactions', IMAGE, '-n', '50', '-c', '4', '--', 'sleep', '30'], (p) => (pid = p));
    // wait until the CLI has containers running, then interrupt it
    for (let i = 0; i < 600; i++) {
      const list = await docker.listContainers({ filters: { label: [`${LABEL_OWNER_PID}=${pid}`] } });
      if (list.length >= 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(pid, 'SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER_PID}=${pid}`] } });
    assert.deepEqual(left, []);
  });

  it('CLI: a process killed mid-batch leaves orphans that the next CLI run sweeps', async function () {
    this.timeout(120_000);
    let pid = 0;
    const done = cli(['transactions', IMAGE, '-n', '50', '-c', '3', '--', 'sleep', '60'], (p) => (pid = p));
    for (let i = 0; i < 600; i++) {
      const list = await docker.listContainers({ filters: { label: [`${LABEL_OWNER_PID}=${pid}`] } });
      if (list.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(pid, 'SIGKILL'); // no cleanup can run: like a crash
    await done;
    const orphans = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER_PID}=${pid}`] } });
    assert.ok(orphans.length >= 3, `orphans left by the killed process: ${orphans.length}`);
    const next = await cli(['run', IMAGE, '--', 'true']);
    assert.equal(next.code, 0, next.stderr);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER_PID}=${pid}`] } });
    assert.deepEqual(left, []);
  });
});
