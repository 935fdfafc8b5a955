import * as assert from 'node:assert/strict';
import { findTracesScript, finishServeIsolation, formatServeIsolationText, judgeFindings, leaveTracesScript, parseFindings, parseLeft } from '../../src/core/serveIsolation';
import { formatServeCostText, summarizeServeCost } from '../../src/core/serveCost';

describe('gateway isolation check (pure parts)', () => {
  it('refuses tokens that could break out of the scripts', () => {
    assert.throws(() => leaveTracesScript('a; rm -rf /'), RangeError);
    assert.throws(() => findTracesScript('A'), RangeError);
    assert.match(leaveTracesScript('abc1'), /CL_SERVE_ISOLATION=abc1 sleep 1000/);
  });

  it('searches the processes before sourcing the profiles (the search never carries the value itself)', () => {
    const s = findTracesScript('abc1');
    assert.ok(s.indexOf('/proc/') < s.indexOf('. /tmp/.cl_profile'));
    assert.ok(s.startsWith('unset CL_SERVE_ISOLATION'));
  });

  it('parses what was left and found', () => {
    assert.deepEqual(parseLeft('left_marker=1\nleft_env=1\nleft_process=42\n'), { marker: true, env: true, process: true });
    assert.deepEqual(parseLeft('left_marker=0\nleft_env=1\nleft_process=\n'), { marker: false, env: true, process: false });
    assert.deepEqual(parseFindings('process=17/environ\nmarker=/tmp/cl-marker-x\nenv=x\ndone=1\n'), { markers: ['/tmp/cl-marker-x'], processes: ['17'], env: 'x', complete: true });
  });

  it("expects the other session's traces absent and a session's own present; an unfinished search fails", () => {
    const none = { markers: [], processes: [], env: 'bzz', complete: true };
    const all = { markers: ['/tmp/cl-marker-a1'], processes: ['9'], env: 'a1', complete: true };
    assert.deepEqual(judgeFindings('A', 'B', 'a1', none).map((c) => c.passed), [true, true, true], 'B has its own value set, not A\'s');
    assert.deepEqual(judgeFindings('A', 'B', 'a1', all).map((c) => c.passed), [false, false, false]);
    assert.deepEqual(judgeFindings('A', 'A', 'a1', all).map((c) => c.passed), [true, true, true]);
    assert.deepEqual(judgeFindings('A', 'A', 'a1', none).map((c) => c.passed), [false, false, false]);
    assert.deepEqual(judgeFindings('A', 'B', 'a1', { ...none, complete: false }).map((c) => c.passed), [false, false, false]);
    const sessions = { A: { id: 'a', container: 'ca' }, B: { id: 'b', container: 'cb' } };
    const ok = finishServeIsolation('img', sessions, judgeFindings('A', 'B', 'a1', none));
    assert.equal(ok.passed, true);
    assert.match(formatServeIsolationText(ok), /^PASSED: two sessions on img/);
    const bad = finishServeIsolation('img', sessions, judgeFindings('A', 'B', 'a1', all));
    assert.match(bad.summary, /^FAILED: 3 of 3 checks/);
    assert.equal(finishServeIsolation('img', sessions, []).passed, false, 'no checks prove nothing');
  });
});

describe('gateway cost report', () => {
  it('summarises the series and takes ratios of medians', () => {
    const r = summarizeServeCost(
      { image: 'web', containerPort: 8080, sessions: 2, requestsPerSession: 1, path: '/', startedAt: 0, durationMs: 1, notes: ['n'] },
      { loginCold: [400, 600], loginWarm: [20, 30], loginFreshDirect: [450, 550], loginShared: [5, 5], requestGateway: [3, 3], requestDirect: [2, 2] },
    );
    assert.equal(r.series.loginCold.p50, 500);
    assert.equal(r.ratios.coldVsShared, 100);
    assert.equal(r.ratios.warmVsShared, 5);
    assert.equal(r.ratios.coldVsFreshDirect, 1);
    assert.equal(r.ratios.gatewayVsDirect, 1.5);
    const text = formatServeCostText(r);
    assert.match(text, /login: gateway, warm pool\s+2\s+25\.0/);
    assert.match(text, /request, gateway vs direct:\s+×1\.50/);
  });
});
