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

export interface ComparisonReport {
  variant: string;
  label: string;
  /** Baseline variant id (the host). */
  baseline: string;
  ratio: number;
  low: number;
  high: number;
  confidence: number;
  /** True when the interval contains 1.0. */
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
 * Plain-words verdict for a container/host ratio interval: "within noise" when the interval
 * contains 1.0, otherwise "N% slower/faster" (or "N.N× the host" from 2× on).
 */
export function verdict(label: string, baselineLabel: string, r: { ratio: number; low: number; high: number; confidence: number }): string {
  const ci = `${Math.round(r.confidence * 100)}% CI ${fmt(r.low)}–${fmt(r.high)}`;
  if (!Number.isFinite(r.ratio)) return `${label}: not enough data`;
  if (r.low <= 1 && r.high >= 1) return `${label} vs ${baselineLabel}: within noise — ratio ${fmt(r.ratio)} (${ci} includes 1.00)`;
  if (r.ratio >= 1.5) return `${label} takes ${fmt(r.ratio, 1)}× the ${baselineLabel} time (ratio ${fmt(r.ratio)}, ${ci})`;
  if (r.ratio > 1) return `${label} is ${Math.round((r.ratio - 1) * 100)}% slower than ${baselineLabel} (ratio ${fmt(r.ratio)}, ${ci})`;
  return `${label} is ${Math.round((1 - r.ratio) * 100)}% faster than ${baselineLabel} (ratio ${fmt(r.ratio)}, ${ci})`;
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
  if (base && base.samples.length > 0) {
    for (const s of series.slice(1)) {
      if (s.samples.length === 0) continue;
      const ci = bootstrapRatioOfMedians(s.samples, base.samples, { seed: r.seed ?? 1, iterations: r.iterations ?? 2000 });
      comparisons.push({
        variant: s.variant,
        label: s.label,
        baseline: base.variant,
        ratio: ci.ratio,
        low: ci.low,
        high: ci.high,
        confidence: ci.confidence,
        withinNoise: ci.low <= 1 && ci.high >= 1,
        verdict: verdict(s.label, base.label, ci),
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
    series,
    comparisons,
    lifecycle,
    lifecycleTotals,
    notes: r.notes ?? [],
  };
}
