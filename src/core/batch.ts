/**
 * Batch-of-transactions report (pure): counts, failures, throughput and per-phase percentiles,
 * plus text/Markdown rendering shared by the extension (Output channel, Markdown document) and
 * the CLI (`container-lineage transactions`).
 */
import { plural } from './format';
import { codeSpan, escapeMarkdown } from './markdown';
import { explainPool, type PoolEvidence } from './poolAdvice';
import { distribution, throughput, type Distribution } from './stats';

/** Phase names, in display order. Durations are in milliseconds. */
export const PHASES = ['create', 'start', 'acquire', 'exec', 'run', 'remove', 'total'] as const;
export type PhaseName = (typeof PHASES)[number];

/** The part of a transaction result the report needs (structurally matches the engine's TransactionResult). */
export interface TransactionOutcome {
  status: 'exited' | 'timeout' | 'cancelled' | 'failed';
  exitCode: number | null;
  timings: Record<PhaseName, number>;
  error?: string;
  removed: boolean;
}

/** Background work of a warm pool during the batch (not seen by transactions). */
export interface RefillSummary {
  /** Containers created + started ahead of time. */
  created: number;
  /** create + start per pool container (ms). */
  prepare: Distribution;
  /** Removal of used pool containers, done after the transaction returned (ms). */
  remove: Distribution;
  /** What the "why" lines read (see `core/poolAdvice.ts`); absent in reports made before it existed. */
  evidence?: Omit<PoolEvidence, 'poolSize' | 'concurrency' | 'completed' | 'exec' | 'prepare'>;
}

/**
 * Why the pool of a warm batch did or did not help (sentences), or [] for a cold batch or one
 * without evidence. See {@link explainPool}.
 */
export function poolWhy(report: BatchReport): string[] {
  const r = report.refill;
  if (report.mode !== 'warm' || !r?.evidence) return [];
  return explainPool({ ...r.evidence, poolSize: report.poolSize, concurrency: report.concurrency, completed: report.completed, exec: report.phases.exec, prepare: r.prepare });
}

/** Report of one batch. */
export interface BatchReport {
  image: string;
  command: string[];
  /** Transactions asked for. */
  requested: number;
  concurrency: number;
  /** 'cold' = fresh container per transaction; 'warm' = taken from a warm pool of `poolSize`. */
  mode: 'cold' | 'warm';
  poolSize: number;
  /** Transactions that ran to an outcome other than 'cancelled'. */
  completed: number;
  /** Exited with code 0. */
  succeeded: number;
  /** Completed but not successful: non-zero exit, timeout or engine failure. */
  failures: number;
  /** Outcome counts by status. */
  statuses: Record<TransactionOutcome['status'], number>;
  /** True when the batch was cancelled before all transactions ran. */
  cancelled: boolean;
  /** Wall-clock time of the whole batch (ms). */
  wallMs: number;
  /** Completed transactions per second of wall time. */
  throughput: number;
  /** Per-phase distributions over completed transactions (ms). Phases that never happened have n = 0. */
  phases: Record<PhaseName, Distribution>;
  /** Up to 5 distinct error messages / non-zero exits, for the reader. */
  sampleErrors: string[];
  /** Containers not confirmed removed (should be 0). */
  notRemoved: number;
  /** Warm pool background work, when mode is 'warm'. */
  refill?: RefillSummary;
}

/**
 * Build the report of a batch.
 * @param outcomes outcomes of the transactions that ran (cancelled ones included).
 * @param info what was asked and how long the batch took (`wallMs`, ms).
 */
export function summarizeBatch(
  outcomes: readonly TransactionOutcome[],
  info: { image: string; command: string[]; requested: number; concurrency: number; wallMs: number; cancelled: boolean; poolSize?: number; refill?: RefillSummary },
): BatchReport {
  const statuses = { exited: 0, timeout: 0, cancelled: 0, failed: 0 };
  for (const o of outcomes) statuses[o.status]++;
  const done = outcomes.filter((o) => o.status !== 'cancelled');
  const succeeded = done.filter((o) => o.status === 'exited' && o.exitCode === 0).length;
  const phases = {} as Record<PhaseName, Distribution>;
  for (const p of PHASES) phases[p] = distribution(done.map((o) => o.timings[p]));
  const sampleErrors: string[] = [];
  for (const o of done) {
    if (sampleErrors.length >= 5) break;
    const msg = o.error ?? (o.exitCode !== 0 ? `exit code ${o.exitCode}` : undefined);
    if (msg && !sampleErrors.includes(msg)) sampleErrors.push(msg);
  }
  const poolSize = info.poolSize ?? 0;
  return {
    image: info.image,
    command: info.command,
    requested: info.requested,
    concurrency: info.concurrency,
    mode: poolSize > 0 ? 'warm' : 'cold',
    poolSize,
    completed: done.length,
    succeeded,
    failures: done.length - succeeded,
    statuses,
    cancelled: info.cancelled || statuses.cancelled > 0,
    wallMs: info.wallMs,
    throughput: throughput(done.length, info.wallMs),
    phases,
    sampleErrors,
    notRemoved: outcomes.filter((o) => !o.removed).length,
    refill: info.refill,
  };
}

function ms(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '–';
}

/**
 * Parse what the user typed as a command: a JSON array is the exec form (`["echo","hi"]`);
 * anything else runs through `/bin/sh -c` (shell form, like a Dockerfile's RUN).
 * @returns argv, or undefined for empty input.
 */
export function parseCommandInput(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // not JSON: shell form
    }
  }
  return ['/bin/sh', '-c', t];
}

/** Shell-like rendering of a command for display (quotes arguments containing spaces or quotes). */
export function formatCommand(cmd: readonly string[]): string {
  return cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function phaseRows(report: BatchReport): Array<[string, Distribution]> {
  return PHASES.filter((p) => report.phases[p].n > 0).map((p) => [p, report.phases[p]]);
}

/**
 * Plain-text report (CLI, Output channel): a summary line block and a per-phase table in ms.
 */
export function formatBatchText(report: BatchReport): string {
  const lines = [
    `Transactions: ${report.image} — ${formatCommand(report.command)}`,
    `mode ${report.mode}${report.mode === 'warm' ? ` (pool of ${report.poolSize})` : ''}, concurrency ${report.concurrency}`,
    `completed ${report.completed}/${report.requested}${report.cancelled ? ' (cancelled)' : ''}, succeeded ${report.succeeded}, failures ${report.failures}` +
      ` (timeouts ${report.statuses.timeout}, engine failures ${report.statuses.failed})`,
    `wall ${(report.wallMs / 1000).toFixed(2)} s, throughput ${Number.isFinite(report.throughput) ? report.throughput.toFixed(2) : '–'} transactions/s`,
    '',
    `${'phase (ms)'.padEnd(10)} ${'n'.padStart(5)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'p99'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}`,
  ];
  for (const [name, d] of phaseRows(report)) {
    lines.push(`${name.padEnd(10)} ${String(d.n).padStart(5)} ${ms(d.p50).padStart(9)} ${ms(d.p95).padStart(9)} ${ms(d.p99).padStart(9)} ${ms(d.min).padStart(9)} ${ms(d.max).padStart(9)}`);
  }
  if (report.refill) {
    const r = report.refill;
    lines.push('', `pool background work (not in the transactions' latency): ${plural(r.created, 'container')} prepared, create+start p50 ${ms(r.prepare.p50)} ms, removal p50 ${ms(r.remove.p50)} ms`);
    const why = poolWhy(report);
    if (why.length) lines.push('', 'why the pool did or did not help:', ...why.map((w) => `  - ${w}`));
  }
  if (report.notRemoved > 0) lines.push('', `WARNING: ${plural(report.notRemoved, 'container')} not confirmed removed; the next sweep will remove ${report.notRemoved === 1 ? 'it' : 'them'}.`);
  if (report.sampleErrors.length) lines.push('', 'errors:', ...report.sampleErrors.map((e) => `  - ${e}`));
  return lines.join('\n') + '\n';
}

/** Markdown report (opened as a document in the editor). */
export function formatBatchMarkdown(report: BatchReport): string {
  const lines = [
    `# Transactions on ${escapeMarkdown(report.image)}`,
    '',
    `Command: ${codeSpan(formatCommand(report.command))}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Mode | ${report.mode}${report.mode === 'warm' ? ` (pool of ${report.poolSize})` : ''} |`,
    `| Concurrency | ${report.concurrency} |`,
    `| Completed | ${report.completed} of ${report.requested}${report.cancelled ? ' (cancelled)' : ''} |`,
    `| Succeeded | ${report.succeeded} |`,
    `| Failures | ${report.failures} (timeouts ${report.statuses.timeout}, engine failures ${report.statuses.failed}) |`,
    `| Wall time | ${(report.wallMs / 1000).toFixed(2)} s |`,
    `| Throughput | ${Number.isFinite(report.throughput) ? report.throughput.toFixed(2) : '–'} transactions/s |`,
    '',
    '| Phase (ms) | n | p50 | p95 | p99 | min | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...phaseRows(report).map(([name, d]) => `| ${name} | ${d.n} | ${ms(d.p50)} | ${ms(d.p95)} | ${ms(d.p99)} | ${ms(d.min)} | ${ms(d.max)} |`),
  ];
  if (report.refill) {
    const r = report.refill;
    lines.push('', `Warm pool background work (not part of the transactions' latency): ${plural(r.created, 'container')} prepared; create+start p50 ${ms(r.prepare.p50)} ms, p95 ${ms(r.prepare.p95)} ms; removal p50 ${ms(r.remove.p50)} ms.`);
    const why = poolWhy(report);
    if (why.length) lines.push('', '## Why the pool did or did not help', '', ...why.map((w) => `- ${escapeMarkdown(w)}`));
  }
  if (report.notRemoved > 0) lines.push('', `**Warning:** ${plural(report.notRemoved, 'container')} not confirmed removed; the next sweep removes ${report.notRemoved === 1 ? 'it' : 'them'}.`);
  if (report.sampleErrors.length) lines.push('', '## Errors', '', ...report.sampleErrors.map((e) => `- ${escapeMarkdown(e)}`));
  return lines.join('\n') + '\n';
}
