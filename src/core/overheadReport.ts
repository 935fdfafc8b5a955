/**
 * Renderings of an {@link OverheadReport} as plain text (CLI), Markdown ("copy as Markdown") and
 * CSV (export). Image names, labels and commands are attacker-controlled strings: Markdown escapes
 * what Markdown would interpret (core/markdown) so a tag like `<img src=x onerror=…>` shows
 * literally wherever the Markdown is rendered, and nothing more; CSV quotes per RFC 4180 and defuses spreadsheet formulas (OWASP "CSV
 * injection": a text cell starting with = + - @ tab or CR gets a leading apostrophe).
 */
import type { ComparisonReport, OverheadReport } from './experiment';
import { escapeMarkdown } from './markdown';

/**
 * Format a number: `digits` decimals from 1 up; below 1 three significant digits (so a 0.0312 ms
 * round trip does not print as 0.03).
 */
export function formatNumber(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) < 1 && x !== 0) return x.toPrecision(3);
  return x.toFixed(digits);
}
const num = formatNumber;

/** One CSV cell: numbers as is; text quoted, quotes doubled, formula-like starts defused. */
export function csvCell(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) || text !== value ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV export: one row per measured value (`kind,series,label,side,index,value_ms,wall_ms`) plus
 * one row per lifecycle phase summary and one per comparison, with a header row.
 */
export function reportToCsv(report: OverheadReport): string {
  const rows: Array<Array<string | number>> = [['kind', 'run_id', 'image', 'workload', 'series', 'label', 'side_or_mode', 'index', 'value_ms', 'wall_ms', 'median_ms', 'p95_ms', 'min_ms', 'ratio', 'ci_low', 'ci_high']];
  for (const s of report.series) {
    s.samples.forEach((v, i) => rows.push(['sample', report.runId, report.image, report.workload, s.variant, s.label, s.side, i, v, s.wallSamples[i] ?? NaN, NaN, NaN, NaN, NaN, NaN, NaN]));
    rows.push(['series', report.runId, report.image, report.workload, s.variant, s.label, s.side, NaN, NaN, NaN, s.summary.p50, s.summary.p95, s.summary.min, NaN, NaN, NaN]);
  }
  for (const c of report.comparisons) {
    rows.push(['ratio', report.runId, report.image, report.workload, c.variant, c.label, c.baseline, NaN, NaN, NaN, NaN, NaN, NaN, c.ratio, c.low, c.high]);
  }
  for (const l of report.lifecycle) {
    rows.push(['lifecycle', report.runId, report.image, report.workload, l.phase, l.phase, l.mode, NaN, NaN, NaN, l.summary.p50, l.summary.p95, l.summary.min, NaN, NaN, NaN]);
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A ratio with its interval, "1.02 (0.97–1.08)"; without an interval (too few samples) "0.91 (too few samples)". */
export function ratioCell(c: Pick<ComparisonReport, 'ratio' | 'low' | 'high' | 'kind'> | undefined): string {
  if (!c) return 'baseline';
  if (c.kind === 'too-few' || !Number.isFinite(c.low)) return `${num(c.ratio, 2)} (too few samples)`;
  return `${num(c.ratio, 2)} (${num(c.low, 2)}–${num(c.high, 2)})`;
}

/** Markdown for sharing: a heading, the verdicts, a series table and a lifecycle table. */
export function reportToMarkdown(report: OverheadReport): string {
  const e = escapeMarkdown;
  const out: string[] = [];
  out.push(`### Container overhead: ${e(report.title)} on ${e(report.image)}`);
  out.push('');
  out.push(`${e(report.description)}. ${e(report.sampleCounts)}${report.cancelled ? ' (cancelled: partial results)' : ''}.`);
  out.push('');
  for (const c of report.comparisons) out.push(`- ${e(c.verdict)}`);
  if (report.comparisons.length) out.push('');
  out.push('| Series | n | Median (ms) | p95 (ms) | Min (ms) | Ratio to host (95% CI) |');
  out.push('|---|---:|---:|---:|---:|---|');
  for (const s of report.series) {
    const c = report.comparisons.find((x) => x.variant === s.variant);
    out.push(`| ${e(s.label)} | ${s.summary.n} | ${num(s.summary.p50, 2)} | ${num(s.summary.p95, 2)} | ${num(s.summary.min, 2)} | ${ratioCell(c)} |`);
  }
  if (report.lifecycle.length) {
    out.push('');
    out.push('| Lifecycle phase | Mode | n | Median (ms) | p95 (ms) | Min (ms) |');
    out.push('|---|---|---:|---:|---:|---:|');
    for (const l of report.lifecycle) {
      out.push(`| ${l.phase} | ${l.mode} | ${l.summary.n} | ${num(l.summary.p50)} | ${num(l.summary.p95)} | ${num(l.summary.min)} |`);
    }
    for (const t of report.lifecycleTotals) out.push(`\nMedian ${t.mode} path total: ${num(t.medianTotalMs)} ms.`);
  }
  for (const n of report.notes) out.push(`\n_${e(n)}_`);
  return out.join('\n') + '\n';
}

/**
 * Plain-text report for a terminal (the CLI). Control characters in engine strings are replaced
 * so an image name cannot move the cursor or recolour the terminal.
 */
export function reportToText(report: OverheadReport): string {
  // eslint-disable-next-line no-control-regex
  const t = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const out: string[] = [];
  out.push(`Container overhead: ${t(report.title)} on ${t(report.image)}${report.cancelled ? ' (CANCELLED, partial)' : ''}`);
  out.push(`  ${t(report.description)}; ${t(report.sampleCounts)}, run ${t(report.runId)}`);
  out.push('');
  const w = Math.max(6, ...report.series.map((s) => s.label.length));
  out.push(`  ${'series'.padEnd(w)}  ${'n'.padStart(3)}  ${'median'.padStart(9)}  ${'p95'.padStart(9)}  ${'min'.padStart(9)}  ratio (95% CI)`);
  for (const s of report.series) {
    const c = report.comparisons.find((x) => x.variant === s.variant);
    const ratio = ratioCell(c);
    out.push(`  ${t(s.label).padEnd(w)}  ${String(s.summary.n).padStart(3)}  ${num(s.summary.p50, 2).padStart(9)}  ${num(s.summary.p95, 2).padStart(9)}  ${num(s.summary.min, 2).padStart(9)}  ${ratio}`);
  }
  out.push('');
  for (const c of report.comparisons) out.push(`  ${t(c.verdict)}`);
  if (report.lifecycle.length) {
    out.push('');
    out.push(`  lifecycle (ms)   ${['cold median', 'cold p95', 'warm median', 'warm p95'].map((h) => h.padStart(11)).join('  ')}`);
    for (const phase of ['create', 'start', 'exec', 'stop', 'remove'] as const) {
      const cold = report.lifecycle.find((l) => l.mode === 'cold' && l.phase === phase)?.summary;
      const warm = report.lifecycle.find((l) => l.mode === 'warm' && l.phase === phase)?.summary;
      out.push(`  ${phase.padEnd(15)}  ${[cold?.p50, cold?.p95, warm?.p50, warm?.p95].map((v) => (v === undefined ? '-' : num(v)).padStart(11)).join('  ')}`);
    }
    for (const tot of report.lifecycleTotals) out.push(`  ${tot.mode} path total (median): ${num(tot.medianTotalMs)} ms (n=${tot.n})`);
  }
  for (const n of report.notes) out.push(`  note: ${t(n)}`);
  return out.join('\n') + '\n';
}
