import assert from 'node:assert/strict';
import { runBounded } from '../../src/core/schedule';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('core/schedule runBounded', () => {
  it('never exceeds the concurrency and runs every task once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const r = await runBounded(23, 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      seen.push(i);
      for (let k = 0; k < (i % 3) + 1; k++) await tick();
      inFlight--;
      return i * 2;
    });
    assert.equal(peak, 4);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
    assert.deepEqual(r.results, Array.from({ length: 23 }, (_, i) => i * 2));
    assert.equal(r.started, 23);
    assert.equal(r.cancelled, false);
  });

  it('stops starting tasks when aborted, and awaits the running ones', async () => {
    const ac = new AbortController();
    let finished = 0;
    const r = await runBounded(50, 4, async (i) => {
      if (i === 10) ac.abort();
      await tick();
      finished++;
      return i;
    }, ac.signal);
    assert.equal(r.cancelled, true);
    assert.equal(finished, r.started);
    assert.ok(r.started < 50 && r.started >= 11);
    assert.equal(r.results.filter((x) => x === undefined).length, 50 - r.started);
  });

  it('rethrows the first task error after the others settle', async () => {
    let settled = 0;
    await assert.rejects(
      runBounded(6, 3, async (i) => {
        await tick();
        settled++;
        if (i === 1) throw new Error('boom');
        return i;
      }),
      /boom/,
    );
    assert.equal(settled, 6);
  });

  it('validates its arguments', async () => {
    await assert.rejects(runBounded(1, 0, async () => 1), RangeError);
    await assert.rejects(runBounded(-1, 1, async () => 1), RangeError);
    assert.deepEqual((await runBounded(0, 2, async () => 1)).results, []);
  });
});
