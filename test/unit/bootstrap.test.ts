import * as assert from 'node:assert/strict';
import { bootstrapRatioOfMedians, seededRng } from '../../src/core/bootstrap';

describe('bootstrap statistics', () => {
  it('seeded PRNG is reproducible and in [0, 1)', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, seededRng(43)));
  });

  const host = [101, 99, 100, 102, 98, 100, 103, 97, 100, 101];
  it('bootstrap CI of ratio of medians is stable for a fixed seed', () => {
    const container = host.map((v) => v * 1.0 + 0.5);
    const r1 = bootstrapRatioOfMedians(container, host, { seed: 7, iterations: 1000 });
    const r2 = bootstrapRatioOfMedians(container, host, { seed: 7, iterations: 1000 });
    assert.deepEqual(r1, r2);
    assert.equal(r1.ratio, 100.5 / 100);
    assert.ok(r1.low <= r1.ratio && r1.ratio <= r1.high);
    assert.ok(r1.low < 1 && r1.high > 1, `near-equal series: CI should contain 1, got ${r1.low}..${r1.high}`);
  });

  it('a clearly slower series gets a CI excluding 1.0', () => {
    const container = host.map((v) => v * 2);
    const r = bootstrapRatioOfMedians(container, host, { seed: 1 });
    assert.equal(r.ratio, 2);
    assert.ok(r.low > 1.9 && r.high < 2.1, `${r.low}..${r.high}`);
  });

  it('rejects empty series and bad options', () => {
    assert.throws(() => bootstrapRatioOfMedians([], host), RangeError);
    assert.throws(() => bootstrapRatioOfMedians(host, host, { confidence: 1 }), RangeError);
  });
});
