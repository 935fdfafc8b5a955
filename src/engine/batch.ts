/**
 * Batch of transactions: N runs of one command with bounded concurrency, cold (fresh container
 * each) or warm (from a {@link WarmPool}), cancellable, summarised as a {@link BatchReport}.
 * Shared by the "Run Transactions…" command, the `container-lineage transactions` CLI, the bench,
 * and the overhead experiment. No `vscode` import.
 */
import { performance } from 'node:perf_hooks';
import { summarizeBatch, type BatchReport } from '../core/batch';
import { runBounded } from '../core/schedule';
import { distribution } from '../core/stats';
import { WarmPool } from './pool';
import type { SecurityOptions } from './security';
import type { TransactionResult, TransactionRunner } from './transaction';

/** What to run. */
export interface BatchOptions {
  image: string;
  cmd: string[];
  /** Number of transactions (N ≥ 1). */
  count: number;
  /** Maximum transactions in flight (C ≥ 1). */
  concurrency: number;
  /** Warm pool size K (0 or absent = cold transactions). A pool made for the batch is drained after it. */
  poolSize?: number;
  /** Use this existing pool instead of making one (not drained; its image must match). */
  pool?: WarmPool;
  /** With `pool`: how long the caller just waited to fill it (ms), when it was made for this run (the report says so). */
  poolFillMs?: number;
  /** Per-transaction timeout in ms (default 60 000; 0 = none). */
  timeoutMs?: number;
  security?: Partial<SecurityOptions>;
  /** Environment (`NAME=value`) of every transaction. */
  env?: string[];
  /** Cancel: no new transaction starts, running ones are killed and removed. */
  signal?: AbortSignal;
  /** Called after each transaction with the number done so far. */
  onProgress?: (done: number, total: number, last: TransactionResult) => void;
  /** Keep each transaction's output in `results` (default false: only the report's numbers). */
  collect?: boolean;
}

/** Report plus the individual results (in index order; cancelled-before-start ones omitted). */
export interface BatchOutcome {
  report: BatchReport;
  results: TransactionResult[];
}

/**
 * Run a batch. Containers are always removed (pool containers included) before this resolves.
 * @throws RangeError for a bad count/concurrency/pool size; Error when the runner was disposed.
 */
export async function runBatch(runner: TransactionRunner, options: BatchOptions): Promise<BatchOutcome> {
  if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError(`the number of transactions must be a whole number ≥ 1, got ${options.count}`);
  const poolSize = options.pool?.options.size ?? options.poolSize ?? 0;
  const ownPool = !options.pool && poolSize > 0 ? new WarmPool(runner, { image: options.image, size: poolSize, security: options.security }) : undefined;
  const pool = options.pool ?? ownPool;
  const refillBefore = pool?.refillStats();
  let fillMs = options.pool ? options.poolFillMs : undefined;
  let done = 0;
  try {
    if (ownPool) {
      const tFill = performance.now();
      // Fill before the clock starts so the report shows steady-state warm latency; a missing image
      // surfaces here with a clear message.
      ownPool.start();
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([ownPool.ready(), new Promise<void>((resolve) => options.signal?.addEventListener('abort', (onAbort = () => resolve()), { once: true }))]);
      } finally {
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      }
      fillMs = performance.now() - tFill;
    }
    const idleAtStart = pool?.idleCount ?? 0;
    const tStart = performance.now();
    const run = await runBounded(
      options.count,
      options.concurrency,
      async (_i, signal) => {
        const common = { cmd: options.cmd, env: options.env, timeoutMs: options.timeoutMs, signal, collect: options.collect ?? false };
        const r = pool ? await pool.run(common) : await runner.run({ ...common, image: options.image, security: options.security });
        done++;
        options.onProgress?.(done, options.count, r);
        return r;
      },
      options.signal,
    );
    const wallMs = performance.now() - tStart;
    if (pool) await pool.settle();
    const results = run.results.filter((r): r is TransactionResult => r !== undefined);
    let refill;
    if (pool && refillBefore) {
      const after = pool.refillStats();
      const from = refillBefore.prepareMs.length;
      const prepareMs = after.prepareMs.slice(from);
      const parallel = after.prepareParallel.slice(from);
      refill = {
        created: after.created - refillBefore.created,
        prepare: distribution(prepareMs),
        remove: distribution(after.removeMs.slice(refillBefore.removeMs.length)),
        evidence: {
          hits: after.hits - refillBefore.hits,
          misses: after.missWaitMs.length - refillBefore.missWaitMs.length,
          missWait: distribution(after.missWaitMs.slice(refillBefore.missWaitMs.length)),
          prepareAlone: distribution(prepareMs.filter((_, i) => parallel[i] <= 1)),
          prepareShared: distribution(prepareMs.filter((_, i) => parallel[i] > 1)),
          maxParallel: Math.max(0, ...parallel),
          idleAtStart,
          fillMs,
        },
      };
    }
    const live = new Set(runner.live);
    const outcomes = results.map((r) => ({ ...r, removed: r.containerId === '' || !live.has(r.containerId) }));
    const report = summarizeBatch(outcomes, {
      image: options.image,
      command: options.cmd,
      requested: options.count,
      concurrency: options.concurrency,
      wallMs,
      cancelled: run.cancelled || !!options.signal?.aborted,
      poolSize,
      refill,
    });
    return { report, results };
  } finally {
    if (ownPool) await ownPool.drain();
  }
}
