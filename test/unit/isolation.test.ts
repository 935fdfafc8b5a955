import assert from 'node:assert/strict';
import { evaluateObservation, isolationScript, parseObservation, runIsolationCheck } from '../../src/core/isolation';

const clean = ['self=1', 'env_inherited=', 'proc=1:sh', 'shm_kb=0', 'cgroup_mem=1000000', 'env_after_profile=', 'left_tmp=1', 'left_root=0', 'left_env=1', 'left_proc=14', 'left_shm=1', 'done=1'].join('\n');

describe('core/isolation', () => {
  it('the script embeds the token and fill size, and rejects unsafe tokens', () => {
    const s = isolationScript('abc123', 4);
    assert.match(s, /cl-marker-abc123/);
    assert.match(s, /count=4/);
    assert.throws(() => isolationScript('a;rm -rf /'), RangeError);
    assert.throws(() => isolationScript('abc', 0), RangeError);
  });

  it('parses a clean observation and passes it', () => {
    const o = parseObservation(clean);
    assert.equal(o.self, 1);
    assert.deepEqual(o.processes, [{ pid: 1, comm: 'sh' }]);
    assert.equal(o.left.process, true);
    const step = evaluateObservation(1, o, 0, 1_000_000, 16);
    assert.equal(step.passed, true, JSON.stringify(step.checks));
  });

  it('fails each check on the matching leak, with the evidence', () => {
    const leaky = clean
      .replace('env_after_profile=', 'env_after_profile=t0xabc')
      .replace('proc=1:sh', 'proc=1:sleep\nproc=7:sh\nproc=12:sleep\nmarker=/tmp/cl-marker-t0xabc\nfill_file=/dev/shm/cl-fill-t0xabc')
      .replace('self=1', 'self=7')
      .replace('shm_kb=0', 'shm_kb=16384')
      .replace('cgroup_mem=1000000', 'cgroup_mem=30000000');
    const step = evaluateObservation(1, parseObservation(leaky), 0, 1_000_000, 16);
    assert.equal(step.passed, false);
    const byName = Object.fromEntries(step.checks.map((c) => [c.name, c]));
    assert.equal(byName['marker files'].passed, false);
    assert.match(byName['marker files'].observed, /cl-marker-t0xabc/);
    assert.equal(byName['environment'].passed, false);
    assert.equal(byName['processes'].passed, false);
    assert.match(byName['processes'].observed, /12 sleep/);
    assert.doesNotMatch(byName['processes'].observed, /\b1 sleep/);
    assert.equal(byName['memory'].passed, false);
    assert.match(byName['memory'].observed, /16384 KiB/);
    assert.equal(byName['left traces'].passed, true);
  });

  it('a transaction that could not leave its traces fails (the check would prove nothing)', () => {
    const step = evaluateObservation(0, parseObservation(clean.replace('left_shm=1', 'left_shm=0')), 0, NaN, 16);
    assert.equal(step.passed, false);
    assert.equal(step.checks.find((c) => c.name === 'left traces')!.passed, false);
  });

  it('runIsolationCheck: a sequence passes only when every step passes; errors fail it', async () => {
    const ok = await runIsolationCheck(async () => ({ exitCode: 0, stdout: clean, stderr: '' }), { count: 3, mode: 'cold', image: 'x' });
    assert.equal(ok.passed, true);
    assert.match(ok.summary, /^PASSED: 3 cold/);
    const bad = await runIsolationCheck(
      async (_s, i) => ({ exitCode: null, stdout: i === 2 ? '' : clean, stderr: '', error: i === 2 ? 'timeout' : undefined }),
      { count: 3, mode: 'cold', image: 'x' },
    );
    assert.equal(bad.passed, false);
    assert.match(bad.summary, /^FAILED: 1 of 3/);
    assert.equal(bad.steps[2].error, 'timeout');
    await assert.rejects(runIsolationCheck(async () => ({ exitCode: 0, stdout: clean, stderr: '' }), { count: 1, mode: 'cold', image: 'x' }), RangeError);
  });
});
