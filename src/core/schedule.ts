/**
 * Bounded-concurrency scheduling (pure: no engine, no VS Code).
 */

/** Outcome of {@link runBounded}. */
export interface BoundedRun<T> {
  /** Results by task index; `undefined` for tasks never started (cancelled before their turn). */
  results: (T | undefined)[];
  /** Number of tasks started. */
  started: number;
  /** True when the signal aborted before every task had started. */
  cancelled: boolean;
}

/**
 * Run `count` tasks with at most `concurrency` in flight, in index order. When `signal` aborts,
 * no new task starts; tasks already running receive the same signal and are awaited (so their
 * cleanup finishes before this resolves). A task that throws does not stop the others; its error
 * is rethrown after all started tasks have settled (the first error wins) — tasks that must not
 * fail the batch should catch and return a failure value instead.
 * @param count number of tasks (integer ≥ 0).
 * @param concurrency maximum tasks in flight (integer ≥ 1).
 * @param task called with the task index and the signal.
 * @throws RangeError for a bad count or concurrency; rethrows the first task error.
 */
export async function runBounded<T>(
  count: number,
  concurrency: number,
  task: (index: number, signal?: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<BoundedRun<T>> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, got ${count}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const results: (T | undefined)[] = new Array(count).fill(undefined);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && !signal?.aborted) {
      const index = next++;
      try {
        results[index] = await task(index, signal);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (firstError) throw firstError.error;
  return { results, started: next, cancelled: next < count };
}
