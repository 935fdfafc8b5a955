import assert from 'node:assert/strict';
import { analyseScaling, type ScalingSeries } from '../../src/core/throughput';
import { engineCallKind } from '../../src/engine/callTrace';

function series(concurrency: number, over: Partial<ScalingSeries> = {}): ScalingSeries {
  const n = 10;
  return {
    concurrency,
    transactions: n,
    wallMs: 10_000,
    meanTransactionMs: 1000,
    calls: { create: Array(n).fill(100), start: Array(n).fill(600), wait: Array(n).fill(200), remove: Array(n).fill(98) },
    eventLoopUtilization: 0.05,
    eventLoopDelayP99Ms: 20,
    processCpuMsPerTransaction: 10,
    machineBusy: 0.5,
    ...over,
  };
}

describe('core/throughput analyseScaling', () => {
  it('names the engine call that grows most and the saturated CPU, with the baseline', () => {
    const n = 10;
    const many = series(4, {
      wallMs: 6_000,
      meanTransactionMs: 2000, // 4 × 10 / 6 s ≈ 1.67/s × 2 s ≈ 3.3 in flight — below 0.85 × 4
      calls: { create: Array(n).fill(150), start: Array(n).fill(1400), wait: Array(n).fill(250), remove: Array(n).fill(198) },
      machineBusy: 0.97,
    });
    // 1.67/s vs 1/s: ×1.67; slots 3.3 of 4 → the scheduler is named first.
    assert.match(analyseScaling(series(1), many, { target: 1.8 }).verdict, /the scheduler: on average 3\.3 of 4 slots/);
    const full = { ...many, wallMs: 5_000 }; // 2/s × 2 s = 4 in flight
    const a = analyseScaling(series(1), full, { target: 1.8, baselineRatio: 1.7, baselineName: 'the docker CLI' });
    assert.equal(a.ratio, 2);
    assert.equal(a.met, true);
    assert.deepEqual(a.roundTrips, [4, 4]);
    assert.equal(a.calls[0].kind, 'start');
    assert.equal(a.calls[0].addedMsPerTransaction, 800);
    assert.deepEqual(a.clientMsPerTransaction, [2, 2]);
    assert.match(a.verdict, /^×2\.00 meets ×1\.8/);
    assert.match(a.verdict, /start calls — 600 → 1400 ms \(×2\.3\) when 4 overlap, 80% of the \+1000 ms/);
    assert.match(a.verdict, /then remove \(\+100 ms\)/);
    assert.match(a.verdict, /CPU is saturated at concurrency 4 \(busy 97%, 50% at 1\)/);
    assert.match(a.verdict, /the docker CLI scales ×1\.70/);
    assert.doesNotMatch(a.verdict, /other load/);
    const loaded = analyseScaling(series(1, { machineBusy: 0.99 }), full, { target: 1.8 });
    assert.match(loaded.verdict, /other load kept the CPU busy already at concurrency 1/);
  });

  it('blames the event loop when it is busy, and this process when time outside calls grows', () => {
    const loop = analyseScaling(series(1), series(4, { wallMs: 4000, eventLoopUtilization: 0.8 }), { target: 1.8 });
    assert.match(loop.verdict, /the event loop of this process \(utilisation 80%/);
    // 4 in flight; each transaction gains 600 ms, all of it outside engine calls.
    const client = analyseScaling(series(1), series(4, { wallMs: 4000, meanTransactionMs: 1600 }), { target: 1.8 });
    assert.equal(client.met, true);
    assert.match(client.verdict, /^×2\.50 meets ×1\.8; what still limits it is this process/);
    assert.match(client.verdict, /this process between engine calls \(\+600 ms per transaction outside engine calls, 100% of the added latency\)/);
  });

  it('refuses a first series that is not at concurrency 1 or an empty series', () => {
    assert.throws(() => analyseScaling(series(2), series(4), { target: 1.8 }), RangeError);
    assert.throws(() => analyseScaling(series(1), series(4, { transactions: 0 }), { target: 1.8 }), /completed no transaction/);
  });
});

describe('engine/callTrace engineCallKind', () => {
  it('names container calls by what they do', () => {
    assert.equal(engineCallKind('POST', '/containers/create?'), 'create');
    assert.equal(engineCallKind('POST', '/v1.41/containers/abc/start?'), 'start');
    assert.equal(engineCallKind('POST', '/containers/abc/attach?'), 'attach');
    assert.equal(engineCallKind('DELETE', '/containers/abc?'), 'remove');
    assert.equal(engineCallKind('GET', '/containers/abc/json'), 'inspect');
    assert.equal(engineCallKind('GET', '/_ping'), 'GET /_ping');
  });
});
