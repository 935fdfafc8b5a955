import assert from 'node:assert/strict';
import { distribution, mean, median, percentile, percentileSorted, ratio, throughput } from '../../src/core/stats';

describe('core/stats', () => {
  it('percentile type 7 matches numpy/R on a fixed sample', () => {
    const xs = [15, 20, 35, 40, 50];
    // numpy.percentile([15,20,35,40,50], [0,25,40,50,95,100]) → 15, 20, 29, 35, 48, 50
    assert.equal(percentile(xs, 0), 15);
    assert.equal(percentile(xs, 25), 20);
    assert.ok(Math.abs(percentile(xs, 40) - 29) < 1e-9);
    assert.equal(percentile(xs, 50), 35);
    assert.ok(Math.abs(percentile(xs, 95) - 48) < 1e-9);
    assert.equal(percentile(xs, 100), 50);
  });

  it('order of the input does not matter and input is not modified', () => {
    const xs = [5, 1, 4, 2, 3];
    assert.equal(median(xs), 3);
    assert.deepEqual(xs, [5, 1, 4, 2, 3]);
  });

  it('median of an even count is the mean of the middle pair', () => {
    assert.equal(median([1, 2, 3, 10]), 2.5);
  });

  it('empty series give NaN, NaN samples are ignored', () => {
    assert.ok(Number.isNaN(median([])));
    assert.ok(Number.isNaN(mean([])));
    assert.equal(median([NaN, 4, NaN]), 4);
    const d = distribution([]);
    assert.equal(d.n, 0);
    assert.ok(Number.isNaN(d.p99));
  });

  it('rejects percentiles outside 0..100', () => {
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentileSorted([1], -1), RangeError);
    assert.throws(() => percentile([1], NaN), RangeError);
  });

  it('distribution of 1..100', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    const d = distribution(xs);
    assert.equal(d.n, 100);
    assert.equal(d.min, 1);
    assert.equal(d.max, 100);
    assert.equal(d.mean, 50.5);
    assert.equal(d.p50, 50.5);
    assert.ok(Math.abs(d.p95 - 95.05) < 1e-9);
    assert.ok(Math.abs(d.p99 - 99.01) < 1e-9);
  });

  it('throughput and ratio', () => {
    assert.equal(throughput(10, 2000), 5);
    assert.equal(throughput(0, 0), 0);
    assert.ok(Number.isNaN(throughput(3, 0)));
    assert.equal(ratio(1, 4), 0.25);
    assert.ok(Number.isNaN(ratio(1, 0)));
  });
});
