/**
 * Percentile-bootstrap confidence interval for the ratio of two medians (overhead experiment),
 * with a seeded PRNG. Order statistics (median, percentiles, distribution) come from `./stats`.
 *
 * Pure functions only (no engine, no VS Code). Deterministic when given a seed, so unit tests
 * and reports are reproducible.
 */

import { median, percentileSorted } from './stats';

/** A seeded pseudo-random generator returning floats in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a 32-bit seeded PRNG (Tommy Ettinger, public domain). Not cryptographic; good
 * enough for resampling and fully reproducible for a given seed.
 * @param seed any integer; the same seed always yields the same sequence.
 */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ratio with its confidence interval. */
export interface RatioInterval {
  /** Point estimate: median(numerator) / median(denominator). */
  ratio: number;
  /** Lower bound of the interval. */
  low: number;
  /** Upper bound of the interval. */
  high: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
  /** Bootstrap resamples used. */
  iterations: number;
}

export interface BootstrapOptions {
  /** Resamples (default 2000). */
  iterations?: number;
  /** Confidence level in (0, 1) (default 0.95). */
  confidence?: number;
  /** PRNG seed (default 1); the same inputs and seed give the same interval. */
  seed?: number;
}

/**
 * Percentile-bootstrap confidence interval for median(numerator) / median(denominator)
 * (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13): each resample draws
 * both series independently with replacement; the interval is the (α/2, 1 − α/2) percentiles
 * of the resampled ratios.
 * @param numerator e.g. container timings (ms).
 * @param denominator e.g. host timings (ms); its median must be positive.
 * @throws RangeError when a series is empty or options are out of range.
 */
export function bootstrapRatioOfMedians(
  numerator: readonly number[],
  denominator: readonly number[],
  options: BootstrapOptions = {},
): RatioInterval {
  const iterations = options.iterations ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (numerator.length === 0 || denominator.length === 0) {
    throw new RangeError('bootstrap needs at least one sample in each series');
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (!(Number.isInteger(iterations) && iterations >= 10)) throw new RangeError(`iterations must be an integer ≥ 10, got ${iterations}`);
  const rng = seededRng(options.seed ?? 1);
  const ratio = median(numerator) / median(denominator);
  const ratios: number[] = new Array(iterations);
  const a = new Array<number>(numerator.length);
  const b = new Array<number>(denominator.length);
  for (let i = 0; i < iterations; i++) {
    for (let j = 0; j < a.length; j++) a[j] = numerator[Math.floor(rng() * numerator.length)];
    for (let j = 0; j < b.length; j++) b[j] = denominator[Math.floor(rng() * denominator.length)];
    ratios[i] = median(a) / median(b);
  }
  const finite = ratios.filter((r) => Number.isFinite(r)).sort((x, y) => x - y);
  const alpha = (1 - confidence) / 2;
  return {
    ratio,
    low: finite.length ? percentileSorted(finite, alpha * 100) : NaN,
    high: finite.length ? percentileSorted(finite, (1 - alpha) * 100) : NaN,
    confidence,
    iterations,
  };
}
