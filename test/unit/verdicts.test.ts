/**
 * Issue 15, item 7: overhead verdicts. Too few samples → said so, no verdict and no interval; the
 * header shows the real counts; an interval that contains 1 but is wide is "no clear
 * difference", never "within noise"; an interval excluding 1 is never "within noise".
 */
import assert from 'node:assert/strict';
import { buildReport, MIN_SAMPLES_FOR_VERDICT, sampleCountsText, verdict, verdictKind, type ExperimentResults } from '../../src/core/experiment';
import { ratioCell, reportToMarkdown, reportToText } from '../../src/core/overheadReport';
import { experimentResults } from './fixtures/experiment';

function results(host: number[], container: number[], over: Partial<ExperimentResults> = {}): ExperimentResults {
  const runs = [...host.map((v) => ({ variant: 'host', valueMs: v, wallMs: v })), ...container.map((v) => ({ variant: 'container', valueMs: v, wallMs: v }))];
  return experimentResults({ n: 10, runs, ...over });
}

describe('overhead verdicts', () => {
  it('a cancelled run with one sample per series gives no verdict and no interval', () => {
    const r = buildReport(results([100], [91], { cancelled: true }));
    const c = r.comparisons[0];
    assert.equal(c.kind, 'too-few');
    assert.equal(c.withinNoise, false);
    assert.ok(Number.isNaN(c.low) && Number.isNaN(c.high), 'no interval claimed');
    assert.match(c.verdict, /too few samples for a verdict \(1 container, 1 host; at least 5 each/);
    assert.doesNotMatch(c.verdict, /faster|slower|noise|CI/);
    assert.equal(ratioCell(c), '0.910 (too few samples)');
  });
  it('a series whose baseline got no sample at all still says so (not "baseline")', () => {
    const c = buildReport(results([], [942], { cancelled: true })).comparisons;
    assert.equal(c.length, 1);
    assert.equal(c[0].kind, 'too-few');
    assert.match(c[0].verdict, /too few samples for a verdict \(1 container, 0 host;/);
    assert.equal(ratioCell(c[0]), 'n/a (too few samples)');
    assert.deepEqual(buildReport(results([], [], { cancelled: true })).comparisons, [], 'nothing measured: nothing to compare');
  });
  it('the header shows the real counts, not only the planned n', () => {
    const cancelled = buildReport(results([100, 101], [99], { cancelled: true }));
    assert.equal(cancelled.sampleCounts, 'n = 2 host, 1 container (10 planned per series; cancelled) after 1 warm-up round');
    assert.match(reportToMarkdown(cancelled), /n = 2 host, 1 container \(10 planned per series; cancelled\)/);
    assert.match(reportToText(cancelled), /n = 2 host, 1 container/);
    const full = Array.from({ length: 10 }, (_, i) => 100 + (i % 3));
    assert.equal(buildReport(results(full, full)).sampleCounts, 'n = 10 per series after 1 warm-up round');
    assert.equal(sampleCountsText({ n: 3, warmups: 2, cancelled: false, series: [] }), 'n = no samples (3 planned per series) after 2 warm-up rounds');
  });
  it(`needs at least ${MIN_SAMPLES_FOR_VERDICT} samples in each series`, () => {
    const four = [100, 101, 99, 100];
    assert.equal(buildReport(results(four, four, { n: 4 })).comparisons[0].kind, 'too-few');
    const five = [100, 101, 99, 100, 102];
    assert.notEqual(buildReport(results(five, five, { n: 5 })).comparisons[0].kind, 'too-few');
  });
  it('a narrow interval around 1 is within noise', () => {
    assert.equal(verdictKind({ ratio: 1.01, low: 0.97, high: 1.05 }, 10, 10), 'within-noise');
    assert.match(verdict('container', 'host', { ratio: 1.01, low: 0.97, high: 1.05, confidence: 0.95 }, 10, 10), /within noise — ratio 1\.01/);
  });
  it('a wide interval containing 1 is "no clear difference", not "within noise" (the net complaint: ratio 1.76)', () => {
    const r = { ratio: 1.76, low: 0.95, high: 3.2, confidence: 0.95 };
    assert.equal(verdictKind(r, 10, 10), 'inconclusive');
    const text = verdict('container (NAT port)', 'host', r, 10, 10);
    assert.match(text, /no clear difference — ratio 1\.76, but the 95% CI 0\.95–3\.20 includes 1\.00 and is wide; run more repetitions/);
    assert.doesNotMatch(text, /within noise/);
  });
  it('an interval excluding 1 is never within noise, however close to 1', () => {
    for (const r of [
      { ratio: 1.76, low: 1.7, high: 1.82 },
      { ratio: 1.004, low: 1.001, high: 1.008 },
      { ratio: 0.93, low: 0.9, high: 0.99 },
    ]) {
      const kind = verdictKind(r, 10, 10);
      assert.ok(kind === 'slower' || kind === 'faster', `${JSON.stringify(r)} → ${kind}`);
      assert.doesNotMatch(verdict('c', 'host', { ...r, confidence: 0.95 }, 10, 10), /noise/);
    }
    assert.match(verdict('c', 'host', { ratio: 1.004, low: 1.001, high: 1.008, confidence: 0.95 }, 10, 10), /0\.4% slower/);
    assert.match(verdict('c', 'host', { ratio: 1.76, low: 1.7, high: 1.82, confidence: 0.95 }, 10, 10), /1\.8× the host time/);
  });
  it('a real 2× slowdown measured with enough samples is called out', () => {
    const host = Array.from({ length: 10 }, (_, i) => 100 + (i % 5));
    const c = buildReport(results(host, host.map((v) => v * 2))).comparisons[0];
    assert.equal(c.kind, 'slower');
    assert.ok(c.low > 1, `interval ${c.low}–${c.high} excludes 1`);
    assert.equal(c.n, 10);
    assert.equal(c.baselineN, 10);
  });
});
