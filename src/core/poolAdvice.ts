/**
 * Why a warm pool did or did not help a batch (pure): read from what the batch measured — how
 * many transactions found an idle container, how long the others waited, how long each
 * create + start took alone and alongside others — never from guesses about the machine.
 * Used by the Run Transactions report and the CLI (`core/batch.ts` renders the lines).
 */
import { plural } from './format';
import type { Distribution } from './stats';

/** What the pool measured during one batch (durations in ms). */
export interface PoolEvidence {
  /** Pool size K. */
  poolSize: number;
  /** Batch concurrency C. */
  concurrency: number;
  /** Transactions that completed (not cancelled). */
  completed: number;
  /** Transactions that found an idle container. */
  hits: number;
  /** Transactions that waited for a container to be created and started. */
  misses: number;
  /** Waits of the misses (ms). */
  missWait: Distribution;
  /** Per-transaction exec phase (command sent until its exit known), ms. */
  exec: Distribution;
  /** create + start of every container prepared during the batch (ms). */
  prepare: Distribution;
  /** create + start of containers prepared with no other preparation in flight (ms). */
  prepareAlone: Distribution;
  /** create + start of containers prepared while others were (ms). */
  prepareShared: Distribution;
  /** Most preparations in flight at once. */
  maxParallel: number;
  /** Idle containers when the batch began. */
  idleAtStart: number;
  /** Time spent filling the pool just before the batch (it was made for this run), ms; absent when it was already there. */
  fillMs?: number;
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

/**
 * Sentences saying when and why the pool did not help (or that it did), most important first.
 * Rules (each from the evidence named):
 * - fill on first use: `fillMs` present → the run waited that long before its first transaction;
 * - pool not full at the start: `idleAtStart < poolSize` with misses → the first transactions paid a cold start;
 * - pool smaller than the concurrency: `poolSize < concurrency` → only K could start warm at once;
 * - refill-bound: misses after the first K → each waited about one create + start (`missWait` vs `exec`);
 * - the engine serialises starts: with ≥ 2 in flight, shared p50 ≥ 0.6 × parallelism × alone p50
 *   (when no container was prepared alone, the fastest shared one stands in for "alone");
 * - every transaction a hit → the pool hid create + start from all of them.
 * @returns one or more sentences (plain text; no Markdown).
 */
export function explainPool(e: PoolEvidence): string[] {
  const out: string[] = [];
  if (e.completed === 0) return ['No transaction completed, so the pool was not put to use.'];
  if (e.fillMs !== undefined && e.fillMs > 0) {
    out.push(
      `The pool was made for this run: filling it with ${plural(e.poolSize, 'container')} took ${ms(e.fillMs)} before the first transaction (not counted in the transactions' latency).`,
    );
  }
  if (e.misses === 0) {
    out.push(`Every transaction found a ready container: the pool hid create and start (p50 ${ms(e.prepare.p50)} each) from all ${e.completed}, whose exec took p50 ${ms(e.exec.p50)}.`);
    return out;
  }
  if (e.idleAtStart < e.poolSize) {
    out.push(`The pool held ${e.idleAtStart} of ${e.poolSize} ready containers when the batch began, so the first transactions waited for containers to be created and started: a cold start.`);
  }
  if (e.poolSize < e.concurrency) {
    out.push(`The pool (${e.poolSize}) is smaller than the concurrency (${e.concurrency}): at most ${e.poolSize} transactions at once found a ready container; make the pool at least ${e.concurrency}.`);
  }
  out.push(
    `${e.misses} of ${e.hits + e.misses} transactions found no ready container and waited p50 ${ms(e.missWait.p50)} for one to be created and started, against an exec of p50 ${ms(e.exec.p50)}. ` +
      `A pool of ${e.poolSize} covers a burst of ${e.poolSize}; beyond that transactions arrive faster than it refills (create + start p50 ${ms(e.prepare.p50)}), so they pay about a cold start each. A pool as large as the batch (${e.hits + e.misses}) would cover it.`,
  );
  const alone = e.prepareAlone.n > 0 ? e.prepareAlone.p50 : e.prepareShared.min;
  const parallel = Math.min(e.maxParallel, e.poolSize);
  if (parallel >= 2 && e.prepareShared.n > 0 && Number.isFinite(alone) && alone > 0) {
    const factor = e.prepareShared.p50 / alone;
    if (factor >= 0.6 * parallel) {
      const base = e.prepareAlone.n > 0 ? `${ms(alone)} alone` : `${ms(alone)} for the fastest`;
      out.push(
        `The engine did not overlap the preparations: with up to ${parallel} at once each create + start took p50 ${ms(e.prepareShared.p50)}, against ${base} (×${factor.toFixed(1)}), so it made them about one at a time and refilling ${parallel} costs about ${parallel} cold starts in a row.`,
      );
    }
  }
  return out;
}
