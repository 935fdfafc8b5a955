import assert from 'node:assert/strict';
import { explainPool, type PoolEvidence } from '../../src/core/poolAdvice';
import { formatBatchMarkdown, formatBatchText, summarizeBatch } from '../../src/core/batch';
import { distribution } from '../../src/core/stats';

const none = distribution([]);

function evidence(over: Partial<PoolEvidence>): PoolEvidence {
  return {
    poolSize: 4,
    concurrency: 4,
    completed: 20,
    hits: 20,
    misses: 0,
    missWait: none,
    exec: distribution([5, 6, 7]),
    prepare: distribution([300, 320, 340]),
    prepareAlone: distribution([300]),
    prepareShared: distribution([320, 340]),
    maxParallel: 2,
    idleAtStart: 4,
    ...over,
  };
}

describe('core/poolAdvice', () => {
  it('says the pool helped every transaction when none waited', () => {
    const why = explainPool(evidence({}));
    assert.equal(why.length, 1);
    assert.match(why[0], /^Every transaction found a ready container: the pool hid create and start \(p50 320 ms each\) from all 20, whose exec took p50 6 ms\.$/);
  });

  it('a batch larger than the pool: the misses waited about a cold start each, and a pool as large as the batch would cover it', () => {
    const why = explainPool(evidence({ hits: 4, misses: 16, missWait: distribution([900, 1000, 1100]) }));
    assert.equal(why.length, 1);
    assert.match(why[0], /^16 of 20 transactions found no ready container and waited p50 1000 ms/);
    assert.match(why[0], /against an exec of p50 6 ms/);
    assert.match(why[0], /A pool of 4 covers a burst of 4/);
    assert.match(why[0], /A pool as large as the batch \(20\) would cover it\./);
  });

  it('names a fill on first use, a pool not full at the start, and a pool smaller than the concurrency', () => {
    const why = explainPool(evidence({ poolSize: 2, concurrency: 4, hits: 0, misses: 20, missWait: distribution([500]), idleAtStart: 0, fillMs: 1234 }));
    assert.match(why[0], /^The pool was made for this run: filling it with 2 containers took 1234 ms before the first transaction/);
    assert.match(why[1], /^The pool held 0 of 2 ready containers when the batch began/);
    assert.match(why[2], /^The pool \(2\) is smaller than the concurrency \(4\): at most 2 transactions at once found a ready container; make the pool at least 4\.$/);
    assert.match(why[3], /^20 of 20 transactions found no ready container/);
  });

  it('says the engine serialised the preparations only when the measured times show it', () => {
    const serial = explainPool(evidence({ hits: 4, misses: 16, missWait: distribution([1200]), prepareAlone: distribution([300]), prepareShared: distribution([1150, 1200, 1250]), maxParallel: 4 }));
    assert.equal(serial.length, 2);
    assert.match(serial[1], /^The engine did not overlap the preparations: with up to 4 at once each create \+ start took p50 1200 ms, against 300 ms alone \(×4\.0\)/);
    const overlapped = explainPool(evidence({ hits: 4, misses: 16, missWait: distribution([400]), prepareAlone: distribution([300]), prepareShared: distribution([350, 400, 450]), maxParallel: 4 }));
    assert.equal(overlapped.length, 1, 'parallel preparations that overlapped are not blamed on the engine');
    // nothing prepared alone: the fastest shared preparation stands in
    const noAlone = explainPool(evidence({ hits: 4, misses: 16, missWait: distribution([1200]), prepareAlone: none, prepareShared: distribution([300, 1200, 1250, 1300]), maxParallel: 4 }));
    assert.match(noAlone[1], /against 300 ms for the fastest/);
  });

  it('a batch with no completed transaction says the pool was not used', () => {
    assert.deepEqual(explainPool(evidence({ completed: 0 })), ['No transaction completed, so the pool was not put to use.']);
  });

  it('the batch report carries the why lines for warm batches only', () => {
    const t = { create: NaN, start: NaN, run: 5, remove: NaN, acquire: 0.5, exec: 5, total: 6 };
    const outcomes = Array.from({ length: 6 }, () => ({ status: 'exited' as const, exitCode: 0, timings: t, removed: true }));
    const ev = { hits: 2, misses: 4, missWait: distribution([800]), prepareAlone: distribution([300]), prepareShared: distribution([320]), maxParallel: 2, idleAtStart: 2 };
    const warm = summarizeBatch(outcomes, { image: 'busybox:latest', command: ['true'], requested: 6, concurrency: 2, wallMs: 1000, cancelled: false, poolSize: 2, refill: { created: 6, prepare: distribution([300, 320]), remove: distribution([50]), evidence: ev } });
    assert.match(formatBatchText(warm), /why the pool did or did not help:\n {2}- 4 of 6 transactions found no ready container/);
    assert.match(formatBatchMarkdown(warm), /## Why the pool did or did not help\n\n- 4 of 6 transactions found no ready container/);
    const cold = summarizeBatch(outcomes, { image: 'busybox:latest', command: ['true'], requested: 6, concurrency: 2, wallMs: 1000, cancelled: false });
    assert.doesNotMatch(formatBatchText(cold), /why the pool/);
  });
});
