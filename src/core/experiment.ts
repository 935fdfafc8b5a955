/**
 * Planning and reporting of an overhead experiment (pure; no engine, no VS Code).
 *
 * Method after Felter et al., "An Updated Performance Comparison of Virtual Machines and Linux
 * Containers" (IBM Research RC25482, 2014): same kernel and hardware, warm-ups first, repetitions
 * in rotating order so no series always runs first, medians and spread, container/host ratio of
 * medians with a bootstrap confidence interval.
 */
import { bootstrapRatioOfMedians } from './bootstrap';
import { distribution, type Distribution } from './stats';
import type { Measure, Side, WorkloadId } from './workloads';

/** One planned repetition. */
export interface PlannedRun {
  /** Variant id (series). */
  variant: string;
  /** 0-based repetition index within the variant (warm-ups count separately). */
  index: number;
  /** Warm-ups are run and discarded. */
  warmup: boolean;
}

/**
 * Order of runs: `warmups` rounds, then `n` rounds; each round runs every variant once, and the
 * round's order is the variant list rotated by the round number (A B C, B C A, C A B, …), so
 * every series runs first, middle and last equally often.
 * @throws RangeError for n < 1, warmups < 0 or no variants.
 */
export function planRuns(variants: readonly string[], n: number, warmups: number): PlannedRun[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`repetitions must be a whole number ≥ 1, got ${n}`);
  if (!Number.isInteger(warmups) || warmups < 0) throw new RangeError(`warm-ups must be a whole number ≥ 0, got ${warmups}`);
  if (variants.length === 0) throw new RangeError('an experiment needs at least one variant');
  const runs: PlannedRun[] = [];
  const k = variants.length;
  for (let round = 0; round < warmups + n; round++) {
    const warmup = round < warmups;
    for (let j = 0; j < k; j++) {
      runs.push({ variant: variants[(round + j) % k], index: warmup ? round : round - warmups, warmup });
    }
  }
  return runs;
}

/** Lifecycle phases of a container, in order. */
export type Phase = 'create' | 'start' | 'exec' | 'stop' | 'remove';
export const PHASES: readonly Phase[] = ['create', 'start', 'exec', 'stop', 'remove'];

/**
 * Lifecycle modes: `cold` = create, start, exec, stop, remove all on the request's path; `warm` =
 * a pre-started pooled container, so the request sees exec, stop, remove only (create/start were
 * done ahead of time and are reported as 0 on the path).
 */
export type LifecycleMode = 'cold' | 'warm';

/** One measured container lifecycle (ms per phase). */
export interface LifecycleSample {
  mode: LifecycleMode;
  phases: Partial<Record<Phase, number>>;
}

export interface SeriesReport {
  variant: string;
  label: string;
  side: Side;
  /** Values in ms (what `metric` says). */
  samples: number[];
  summary: Distribution;
  /** Client-observed ms (spawn/exec start to exit) per repetition, for reference. */
  wallSamples: number[];
}

/**
 * What a comparison allows one to say:
 * - `too-few`: fewer than {@link MIN_SAMPLES_FOR_VERDICT} samples in a series: no verdict;
 * - `within-noise`: the interval contains 1.0 and lies within ±{@link NOISE_BAND} of it;
 * - `inconclusive`: the interval contains 1.0 but is wider than that (more repetitions needed);
 * - `slower` / `faster`: the interval excludes 1.0.
 */
export type VerdictKind = 'too-few' | 'within-noise' | 'inconclusive' | 'slower' | 'faster';

export interface ComparisonReport {
  variant: string;
  label: string;
  /** Baseline variant id (the host). */
  baseline: string;
  /** Ratio of medians (container / host); NaN without samples. */
  ratio: number;
  /** Interval bounds; NaN when there are too few samples for one. */
  low: number;
  high: number;
  confidence: number;
  /** Samples behind the ratio: this series and the baseline. */
  n: number;
  baselineN: number;
  kind: VerdictKind;
  /** True only for kind `within-noise`. */
  withinNoise: boolean;
  /** Plain words, e.g. "within noise: ratio 1.01 (95% CI 0.97–1.05 includes 1.00)". */
  verdict: string;
}

export interface LifecyclePhaseReport {
  mode: LifecycleMode;
  phase: Phase;
  summary: Distribution;
}

/** What identifies an experiment run (shared by raw results and the report). */
export interface RunHeader {
  runId: string;
  image: string;
  workload: WorkloadId;
  title: string;
  /** What a value means (e.g. "in-process wall time (ms)"). */
  description: string;
  measure: Measure;
  n: number;
  warmups: number;
  /** ISO 8601 start / end. */
  startedAt: string;
  finishedAt: string;
  /** True when the run was cancelled; the numbers cover what finished. */
  cancelled: boolean;
  environment: Record<string, string>;
}

/** Everything a report shows; the same object is rendered by the panel, the CLI and the exports. */
export interface OverheadReport extends RunHeader {
  /** Format version of this object. */
  version: 1;
  /** The header's sample counts in words (see {@link sampleCountsText}): the real counts, not only the planned n. */
  sampleCounts: string;
  series: SeriesReport[];
  comparisons: ComparisonReport[];
  lifecycle: LifecyclePhaseReport[];
  /** Median total ms on the request path per lifecycle mode. */
  lifecycleTotals: Array<{ mode: LifecycleMode; medianTotalMs: number; n: number }>;
  notes: string[];
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/**
 * Fewest samples per series for a verdict. A percentile-bootstrap interval of a median over
 * fewer values has so few distinct resampled medians that its bounds mean little (with one
 * sample it collapses to a point: "95% CI 0.91–0.91").
 */
export const MIN_SAMPLES_FOR_VERDICT = 5;

/** Half-width of the band around 1.0 an interval must lie in to be called "within noise" (±10%). */
export const NOISE_BAND = 0.1;

/** Classify a ratio interval (see {@link VerdictKind}); `n`/`baselineN` are the series' sample counts. */
export function verdictKind(r: { ratio: number; low: number; high: number }, n: number, baselineN: number): VerdictKind {
  if (n < MIN_SAMPLES_FOR_VERDICT || baselineN < MIN_SAMPLES_FOR_VERDICT || !Number.isFinite(r.ratio) || !Number.isFinite(r.low) || !Number.isFinite(r.high)) return 'too-few';
  if (r.low > 1) return 'slower';
  if (r.high < 1) return 'faster';
  return r.low >= 1 - NOISE_BAND && r.high <= 1 + NOISE_BAND ? 'within-noise' : 'inconclusive';
}

function percent(ratio: number): string {
  const p = Math.abs(ratio - 1) * 100;
  return p < 1 ? p.toFixed(1) : String(Math.round(p));
}

/**
 * Plain-words verdict for a container/host ratio interval (see {@link verdictKind}): "too few
 * samples" (no ratio claimed), "within noise", "no clear difference" (a wide interval that
 * contains 1.0), otherwise "N% slower/faster" (or "N.N× the host time" from 1.5× on).
 * @param n samples of the series and `baselineN` of the baseline (default: enough).
 */
export function verdict(
  label: string,
  baselineLabel: string,
  r: { ratio: number; low: number; high: number; confidence: number },
  n = MIN_SAMPLES_FOR_VERDICT,
  baselineN = MIN_SAMPLES_FOR_VERDICT,
): string {
  const ci = `${Math.round(r.confidence * 100)}% CI ${fmt(r.low)}–${fmt(r.high)}`;
  switch (verdictKind(r, n, baselineN)) {
    case 'too-few':
      return `${label} vs ${baselineLabel}: too few samples for a verdict (${n} ${label}, ${baselineN} ${baselineLabel}; at least ${MIN_SAMPLES_FOR_VERDICT} each are needed)`;
    case 'within-noise':
      return `${label} vs ${baselineLabel}: within noise — ratio ${fmt(r.ratio)} (${ci} includes 1.00)`;
    case 'inconclusive':
      return `${label} vs ${baselineLabel}: no clear difference — ratio ${fmt(r.ratio)}, but the ${ci} includes 1.00 and is wide; run more repetitions`;
    case 'slower':
      if (r.ratio >= 1.5) return `${label} takes ${fmt(r.ratio, 1)}× the ${baselineLabel} time (ratio ${fmt(r.ratio)}, ${ci})`;
      return `${label} is ${percent(r.ratio)}% slower than ${baselineLabel} (ratio ${fmt(r.ratio)}, ${ci})`;
    case 'faster':
      return `${label} is ${percent(r.ratio)}% faster than ${baselineLabel} (ratio ${fmt(r.ratio)}, ${ci})`;
  }
}

/**
 * The sample counts a report stands on, for its header: "n = 10 per series after 1 warm-up
 * round" when every series got what was planned, else the real counts, e.g. "n = 1 host,
 * 1 container (10 planned per series; cancelled) after 1 warm-up round".
 */
export function sampleCountsText(report: Pick<OverheadReport, 'n' | 'warmups' | 'cancelled' | 'series'>): string {
  const warm = `after ${report.warmups} warm-up round${report.warmups === 1 ? '' : 's'}`;
  const counts = report.series.map((s) => s.summary.n);
  if (counts.length > 0 && counts.every((c) => c === report.n)) return `n = ${report.n} per series ${warm}`;
  const real = report.series.map((s) => `${s.summary.n} ${s.label}`).join(', ');
  return `n = ${real || 'no samples'} (${report.n} planned per series${report.cancelled ? '; cancelled' : ''}) ${warm}`;
}

/** Raw results collected by the engine side. */
export interface ExperimentResults extends RunHeader {
  variants: Array<{ id: string; label: string; side: Side }>;
  /** Measured (non-warm-up) repetitions. */
  runs: Array<{ variant: string; valueMs: number; wallMs: number }>;
  lifecycle: LifecycleSample[];
  notes?: string[];
  /** Bootstrap seed (default 1) and resamples (default 2000). */
  seed?: number;
  iterations?: number;
}

/**
 * Turn raw results into a report: per-series summary (median, p95, min), ratio of medians of
 * each container series vs the first (host) series with a 95% percentile-bootstrap interval,
 * lifecycle per phase and mode.
 */
export function buildReport(r: ExperimentResults): OverheadReport {
  const series: SeriesReport[] = r.variants.map((v) => {
    const mine = r.runs.filter((x) => x.variant === v.id);
    const samples = mine.map((x) => x.valueMs);
    return { variant: v.id, label: v.label, side: v.side, samples, summary: distribution(samples), wallSamples: mine.map((x) => x.wallMs) };
  });
  const base = series[0];
  const comparisons: ComparisonReport[] = [];
  if (base) {
    for (const s of series.slice(1)) {
      // A series or baseline without samples (a cancelled run) still gets its "too few samples".
      if (s.samples.length === 0 && base.samples.length === 0) continue;
      const n = s.summary.n;
      const baselineN = base.summary.n;
      const enough = n >= MIN_SAMPLES_FOR_VERDICT && baselineN >= MIN_SAMPLES_FOR_VERDICT;
      // Too few samples: the point ratio only, no interval (it would look precise and is not).
      const ci = enough
        ? bootstrapRatioOfMedians(s.samples, base.samples, { seed: r.seed ?? 1, iterations: r.iterations ?? 2000 })
        : { ratio: base.summary.p50 > 0 ? s.summary.p50 / base.summary.p50 : NaN, low: NaN, high: NaN, confidence: 0.95 };
      const kind = verdictKind(ci, n, baselineN);
      comparisons.push({
        variant: s.variant,
        label: s.label,
        baseline: base.variant,
        ratio: ci.ratio,
        low: ci.low,
        high: ci.high,
        confidence: ci.confidence,
        n,
        baselineN,
        kind,
        withinNoise: kind === 'within-noise',
        verdict: verdict(s.label, base.label, ci, n, baselineN),
      });
    }
  }
  const lifecycle: LifecyclePhaseReport[] = [];
  const lifecycleTotals: OverheadReport['lifecycleTotals'] = [];
  for (const mode of ['cold', 'warm'] as const) {
    const ofMode = r.lifecycle.filter((l) => l.mode === mode);
    if (ofMode.length === 0) continue;
    for (const phase of PHASES) {
      const values = ofMode.map((l) => l.phases[phase]).filter((v): v is number => typeof v === 'number');
      if (values.length) lifecycle.push({ mode, phase, summary: distribution(values) });
    }
    const totals = ofMode.map((l) => PHASES.reduce((acc, p) => acc + (l.phases[p] ?? 0), 0));
    lifecycleTotals.push({ mode, medianTotalMs: distribution(totals).p50, n: totals.length });
  }
  const { runId, image, workload, title, description, measure, n, warmups, startedAt, finishedAt, cancelled, environment } = r;
  return {
    version: 1,
    ...{ runId, image, workload, title, description, measure, n, warmups, startedAt, finishedAt, cancelled, environment },
    sampleCounts: sampleCountsText({ n, warmups, cancelled, series }),
    series,
    comparisons,
    lifecycle,
    lifecycleTotals,
    notes: r.notes ?? [],
  };
}
