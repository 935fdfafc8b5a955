/**
 * Descriptive statistics for timing series (all pure, no engine, no VS Code).
 *
 * Used by the throwaway-container batch report (per-phase p50/p95/p99, throughput) and shared with
 * the overhead experiment, which imports these helpers and adds its own (bootstrap intervals).
 * All functions accept samples in any order and never modify their input. Units are whatever the
 * samples are in (milliseconds for phase timings) unless stated otherwise.
 */

/**
 * Sorted ascending copy of `values`; NaN samples are dropped (a missing phase timing must not
 * poison the order statistics).
 */
export function sortedSamples(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
}

/**
 * Percentile of an already sorted (ascending) series by linear interpolation between closest ranks
 * — Hyndman & Fan (1996) type 7, the default of R's `quantile` and numpy's `percentile`:
 * position h = (n − 1) × p / 100, result = x[⌊h⌋] + (h − ⌊h⌋) × (x[⌈h⌉] − x[⌊h⌋]).
 * @param sorted ascending samples (not checked).
 * @param p percentile in [0, 100].
 * @returns the percentile, or NaN when `sorted` is empty.
 * @throws RangeError when p is outside [0, 100] or not a number.
 */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (sorted.length === 0) return NaN;
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile of unsorted samples (type 7, see {@link percentileSorted}).
 * @param values samples in any order (NaN ignored).
 * @param p percentile in [0, 100].
 * @returns the percentile, or NaN for an empty series.
 * @throws RangeError when p is outside [0, 100].
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(sortedSamples(values), p);
}

/** Median (type-7 50th percentile: the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Arithmetic mean; NaN when empty (NaN samples ignored). */
export function mean(values: readonly number[]): number {
  const s = values.filter((v) => !Number.isNaN(v));
  return s.length === 0 ? NaN : s.reduce((acc, v) => acc + v, 0) / s.length;
}

/** Order statistics of one series, in the unit of its samples (ms for timings). */
export interface Distribution {
  /** Number of (non-NaN) samples. */
  n: number;
  min: number;
  max: number;
  mean: number;
  /** 50th percentile (type 7). */
  p50: number;
  /** 95th percentile (type 7). */
  p95: number;
  /** 99th percentile (type 7). */
  p99: number;
}

/**
 * Summarise a series: n, min, max, mean, p50, p95, p99 (type-7 percentiles). An empty series gives
 * n = 0 and NaN everywhere else.
 */
export function distribution(values: readonly number[]): Distribution {
  const s = sortedSamples(values);
  if (s.length === 0) return { n: 0, min: NaN, max: NaN, mean: NaN, p50: NaN, p95: NaN, p99: NaN };
  return {
    n: s.length,
    min: s[0],
    max: s[s.length - 1],
    mean: s.reduce((acc, v) => acc + v, 0) / s.length,
    p50: percentileSorted(s, 50),
    p95: percentileSorted(s, 95),
    p99: percentileSorted(s, 99),
  };
}

/**
 * Throughput in operations per second: `count / (wallMs / 1000)`.
 * @param count completed operations (successful or not — the caller decides what counts).
 * @param wallMs wall-clock duration of the whole batch in milliseconds.
 * @returns ops/s; 0 when count is 0; NaN when wallMs ≤ 0 with a positive count.
 */
export function throughput(count: number, wallMs: number): number {
  if (count === 0) return 0;
  if (!(wallMs > 0)) return NaN;
  return count / (wallMs / 1000);
}

/**
 * Ratio of two statistics (e.g. our p50 / the CLI's p50) with a readable guard: NaN when the
 * denominator is not a positive finite number.
 */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 && Number.isFinite(denominator) ? numerator / denominator : NaN;
}
