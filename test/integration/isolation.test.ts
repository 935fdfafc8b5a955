import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { drain, OutputCollector } from '../../src/engine/containerOutput';
import { hostConfigFor } from '../../src/engine/security';
import { TransactionRunner } from '../../src/engine/transaction';
import { exitCodeOf } from '../../src/engine/pool';
import { checkIsolation } from '../../src/engine/isolation';
import { formatIsolationText, runIsolationCheck } from '../../src/core/isolation';
import { containersOfSession, IMAGE, throwawaySuite } from './helpers-throwaway';

describe('isolation check (real engine)', function () {
  const ctx = throwawaySuite('isolation');
  const { suite } = ctx;
  let docker: Docker;
  let runner: TransactionRunner;
  before(() => {
    ({ docker, runner } = ctx);
  });

  it('20 cold transactions: passes, with evidence for every check', async function () {
    this.timeout(300_000);
    const report = await checkIsolation(runner, { image: IMAGE, count: 20 });
    assert.equal(report.passed, true, formatIsolationText(report));
    assert.equal(report.steps.length, 20);
    for (const s of report.steps) {
      assert.deepEqual(s.checks.map((c) => c.name), ['marker files', 'environment', 'processes', 'memory', 'left traces']);
      assert.ok(s.checks.every((c) => c.observed.length > 0));
      assert.match(s.checks[4].observed, /background process started/);
    }
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('warm-pool transactions pass too (each pool container serves one transaction)', async function () {
    this.timeout(300_000);
    const report = await checkIsolation(runner, { image: IMAGE, count: 6, poolSize: 2 });
    assert.equal(report.passed, true, formatIsolationText(report));
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('the same check against ONE reused container fails, proving it can fail', async function () {
    this.timeout(300_000);
    const container = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sleep', '600'],
      Labels: runner.labels('pool', 'reused-on-purpose'),
      HostConfig: hostConfigFor(),
    });
    runner.track(container.id);
    try {
      await container.start();
      const report = await runIsolationCheck(
        async (script) => {
          const exec = await container.exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
          const collector = new OutputCollector(false, true);
          await drain(await exec.start({ hijack: true, stdin: false }), collector);
          const text = collector.finish();
          return { exitCode: await exitCodeOf(exec), stdout: text.stdout, stderr: text.stderr };
        },
        { count: 4, mode: 'reused container', image: IMAGE },
      );
      assert.equal(report.passed, false);
      assert.equal(report.steps[0].passed, true, formatIsolationText(report));
      for (const s of report.steps.slice(1)) {
        const failed = s.checks.filter((c) => !c.passed).map((c) => c.name);
        assert.deepEqual(failed, ['marker files', 'environment', 'processes', 'memory'], formatIsolationText(report));
      }
      assert.match(report.summary, /^FAILED/);
      assert.match(report.steps[1].checks[0].observed, /\/tmp\/cl-marker-/);
      assert.match(report.steps[1].checks[2].observed, /sleep/);
    } finally {
      await runner.remove(container.id);
    }
  });
});
