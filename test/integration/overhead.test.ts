import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';
import { LABEL_OVERHEAD, runOverheadExperiment } from '../../src/engine/overhead';
import { MIN_SAMPLES_FOR_VERDICT } from '../../src/core/experiment';

const SMALL = { cpuIterations: 100_000, memoryMiB: 32, ioFiles: 30, netRequests: 20 };

describe('overhead experiment (real engine)', function () {
  this.timeout(120000);
  let docker: Docker;
  const runIds: string[] = [];

  before(async () => {
    const engine = new EngineConnection({ env: process.env });
    assert.equal((await engine.connect()).kind, 'connected', 'a Docker engine must be running (scripts/engine.sh)');
    docker = engine.docker();
  });
  after(async () => {
    for (const runId of runIds) {
      const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OVERHEAD}=${runId}`] } });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
  });

  const labelled = async (runId: string) => (await docker.listContainers({ all: true, filters: { label: [`${LABEL_OVERHEAD}=${runId}`] } })).length;
  const newRunId = () => {
    const id = `test-ovh-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    runIds.push(id);
    return id;
  };

  it('a small CPU experiment produces a report with sane numbers and leaves nothing', async () => {
    const runId = newRunId();
    const progress: number[] = [];
    const report = await runOverheadExperiment(docker, {
      image: 'busybox:latest',
      workload: 'cpu',
      // MIN_SAMPLES_FOR_VERDICT per series: fewer gets "too few samples" and no interval.
      n: MIN_SAMPLES_FOR_VERDICT,
      warmups: 1,
      lifecycleRuns: 2,
      sizes: SMALL,
      runId,
      onProgress: (p) => progress.push(p.done),
    });
    assert.equal(report.cancelled, false);
    assert.match(report.environment.engine ?? '', /^Docker Engine \d+\.\d+\S* \(API 1\.\d+\)$/, 'the report names the engine');
    assert.deepEqual(report.series.map((s) => [s.variant, s.summary.n]), [['host', MIN_SAMPLES_FOR_VERDICT], ['container', MIN_SAMPLES_FOR_VERDICT]]);
    for (const s of report.series) {
      assert.ok(s.summary.min > 0 && s.summary.p50 < 10000, `${s.variant}: ${s.summary.p50} ms`);
      assert.ok(s.summary.min <= s.summary.p50 && s.summary.p50 <= s.summary.p95);
      // Self-timed value excludes spawn/exec set-up, so it is below the client-observed time.
      s.samples.forEach((v, i) => assert.ok(v <= s.wallSamples[i] + 1, `${v} vs wall ${s.wallSamples[i]}`));
    }
    const c = report.comparisons[0];
    assert.ok(c.ratio > 0.2 && c.ratio < 5, `CPU ratio ${c.ratio}`);
    assert.notEqual(c.kind, 'too-few');
    assert.ok(c.low <= c.ratio && c.ratio <= c.high, `${c.low}..${c.ratio}..${c.high}`);
    const phases = report.lifecycle.filter((l) => l.mode === 'cold').map((l) => l.phase);
    assert.deepEqual(phases, ['create', 'start', 'exec', 'stop', 'remove']);
    assert.deepEqual(report.lifecycle.filter((l) => l.mode === 'warm').map((l) => l.phase), ['exec', 'stop', 'remove']);
    assert.ok(report.lifecycle.every((l) => l.summary.min >= 0));
    assert.equal(Math.max(...progress), 2 * (MIN_SAMPLES_FOR_VERDICT + 1) + 4, "progress: (n + warm-up) per variant, plus the lifecycle runs");
    assert.equal(await labelled(runId), 0);
  });

  it('a cancelled experiment stops halfway and leaves no container', async () => {
    const runId = newRunId();
    const ctl = new AbortController();
    let seenWhileRunning = -1;
    let checking: Promise<void> | undefined;
    const report = await runOverheadExperiment(docker, {
      image: 'busybox:latest',
      workload: 'io',
      n: 6,
      warmups: 0,
      lifecycleRuns: 2,
      sizes: SMALL,
      runId,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.done === 8 && !checking) {
          checking = labelled(runId).then((k) => {
            seenWhileRunning = k;
            ctl.abort();
          });
        }
      },
    });
    await checking;
    assert.equal(seenWhileRunning, 3, 'three workload containers (layer, tmpfs, volume) existed while it ran');
    assert.equal(report.cancelled, true);
    const measured = report.series.reduce((acc, s) => acc + s.summary.n, 0);
    assert.ok(measured >= 8 && measured < 24, `partial results: ${measured}`);
    assert.equal(await labelled(runId), 0, 'no container with the run label remains');
  });

  it('a missing image is refused with a clear message and nothing is created', async () => {
    const runId = newRunId();
    await assert.rejects(
      runOverheadExperiment(docker, { image: `cl-no-such-image-${runId}:latest`, workload: 'cpu', n: 1, runId }),
      /is not on the engine/,
    );
    assert.equal(await labelled(runId), 0);
  });
});
