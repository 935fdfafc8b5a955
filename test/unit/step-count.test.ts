import { strict as assert } from 'node:assert';
import { stepPosition } from '../../src/core/stepCount';

describe('multi-step count (n/N)', () => {
  it('never grows going forward: a later step left out still counts until it is passed', () => {
    // Run Transactions with the image given: command, N, C, cold/warm, pool size (warm only).
    const cold = [false, false, false, false, true];
    const warm = [false, false, false, false, false];
    assert.deepEqual(stepPosition(cold, 3), { step: 4, total: 5 }, 'the mode pick says 4/5 whatever was remembered');
    assert.deepEqual(stepPosition(warm, 3), { step: 4, total: 5 });
    assert.deepEqual(stepPosition(warm, 4), { step: 5, total: 5 }, 'choosing Warm pool leads to 5/5, not 4/4 → 5/5');
  });

  it('steps left out before the current one are not counted', () => {
    assert.deepEqual(stepPosition([true, false, false], 1), { step: 1, total: 2 });
    assert.deepEqual(stepPosition([false, true, false], 2), { step: 2, total: 2 });
  });
});
