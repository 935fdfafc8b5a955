/**
 * Throughput scaling analysis (pure): given what was measured while batches of transactions ran
 * at concurrency 1 and at a higher concurrency, say how throughput scaled and what serialises —
 * the event loop of our process, our scheduler's slots, our process between engine calls, or an
 * engine call that gets slower when transactions overlap. Used by bench/transactions. No engine,
 * no VS Code.
 *
 * Sources of the formulas: throughput = completed / wall seconds; the mean number of transactions
 * in flight is Little's law (L = λ·W: throughput × mean transaction latency); a call kind's added
 * latency is its time per transaction at the higher concurrency minus at concurrency 1.
 */
import { ratio, throughput } from './stats';

/** What was measured during one series of batches at one concurrency. */
export interface ScalingSeries {
  /** Transactions allowed in flight. */
  concurrency: number;
  /** Transactions completed over all batches of the series. */
  transactions: number;
  /** Summed wall-clock time of the batches (ms). */
  wallMs: number;
  /** Mean latency of one transaction as its caller saw it (ms). */
  meanTransactionMs: number;
  /** Durations of every engine call by kind ('create', 'start', …), ms (see engine/callTrace). */
  calls: Record<string, readonly number[]>;
  /** Event-loop utilisation of our process, 0..1 (`performance.eventLoopUtilization`). */
  eventLoopUtilization: number;
  /** 99th percentile event-loop delay (ms, `monitorEventLoopDelay`). */
  eventLoopDelayP99Ms: number;
  /** CPU time of our process per transaction (ms, `process.cpuUsage`, user + system). */
  processCpuMsPerTransaction: number;
  /** Share of the whole machine's CPU time that was busy (every process), 0..1; NaN when unknown. */
  machineBusy: number;
}

/** One call kind compared between the two concurrencies. */
export interface CallScaling {
  kind: string;
  /** Calls per transaction at concurrency 1 and at the higher one. */
  perTransaction: [number, number];
  /** Mean duration of one call (ms) at concurrency 1 and at the higher one. */
  meanMs: [number, number];
  /** meanMs[1] / meanMs[0]. */
  growth: number;
  /** Time in this kind of call per transaction at the higher concurrency minus at 1 (ms). */
  addedMsPerTransaction: number;
}

/** The analysis, with its one-line verdict. */
export interface ScalingAnalysis {
  /** Transactions/s at concurrency 1 and at the higher one. */
  throughput: [number, number];
  /** throughput[1] / throughput[0]. */
  ratio: number;
  target: number;
  met: boolean;
  /** Mean transactions in flight (Little's law) at concurrency 1 and at the higher one. */
  inFlight: [number, number];
  /** Time per transaction outside any engine call (ms): our process, its event loop, its waits. */
  clientMsPerTransaction: [number, number];
  /** Engine round trips per transaction at concurrency 1 and at the higher one. */
  roundTrips: [number, number];
  /** Call kinds, largest added latency first. */
  calls: CallScaling[];
  /** What serialises, in one line, computed from the figures above. */
  verdict: string;
}

const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
const pct = (v: number) => `${Math.round(v * 100)}%`;
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');

/** Event loop busier than this (or delayed more than {@link LAG_LIMIT_MS}) counts as serialising. */
export const ELU_LIMIT = 0.5;
/** p99 event-loop delay (ms) beyond which the loop counts as serialising. */
export const LAG_LIMIT_MS = 100;
/** Busy share at which the machine's cores count as saturated. */
export const SATURATED = 0.9;

/**
 * Compare a series at concurrency 1 with one at a higher concurrency.
 * @param one the concurrency-1 series; `many` the higher-concurrency series (same command and image).
 * @param options.target the throughput ratio asked for (e.g. 1.8); `baselineRatio` the same ratio
 *   for a baseline client measured in the same run (e.g. the docker CLI), when there is one.
 * @throws RangeError when a series has no completed transaction or `one.concurrency` is not 1.
 */
export function analyseScaling(one: ScalingSeries, many: ScalingSeries, options: { target: number; baselineRatio?: number; baselineName?: string }): ScalingAnalysis {
  if (one.concurrency !== 1) throw new RangeError(`the first series must be at concurrency 1, got ${one.concurrency}`);
  for (const s of [one, many]) if (!(s.transactions > 0)) throw new RangeError(`the series at concurrency ${s.concurrency} completed no transaction`);
  const thr: [number, number] = [throughput(one.transactions, one.wallMs), throughput(many.transactions, many.wallMs)];
  const r = ratio(thr[1], thr[0]);
  const kinds = [...new Set([...Object.keys(one.calls), ...Object.keys(many.calls)])];
  const calls: CallScaling[] = kinds.map((kind) => {
    const a = one.calls[kind] ?? [];
    const b = many.calls[kind] ?? [];
    const meanMs: [number, number] = [a.length ? sum(a) / a.length : NaN, b.length ? sum(b) / b.length : NaN];
    return {
      kind,
      perTransaction: [a.length / one.transactions, b.length / many.transactions],
      meanMs,
      growth: ratio(meanMs[1], meanMs[0]),
      addedMsPerTransaction: sum(b) / many.transactions - sum(a) / one.transactions,
    };
  });
  calls.sort((x, y) => y.addedMsPerTransaction - x.addedMsPerTransaction);
  const inCalls = (s: ScalingSeries) => sum(Object.values(s.calls).map((v) => sum(v))) / s.transactions;
  const client: [number, number] = [one.meanTransactionMs - inCalls(one), many.meanTransactionMs - inCalls(many)];
  const trips = (s: ScalingSeries) => sum(Object.values(s.calls).map((v) => v.length)) / s.transactions;
  const inFlight: [number, number] = [(thr[0] * one.meanTransactionMs) / 1000, (thr[1] * many.meanTransactionMs) / 1000];
  const analysis: Omit<ScalingAnalysis, 'verdict'> = {
    throughput: thr,
    ratio: r,
    target: options.target,
    met: r >= options.target,
    inFlight,
    clientMsPerTransaction: client,
    roundTrips: [trips(one), trips(many)],
    calls,
  };
  return { ...analysis, verdict: verdictOf(analysis, one, many, options) };
}

function verdictOf(a: Omit<ScalingAnalysis, 'verdict'>, one: ScalingSeries, many: ScalingSeries, options: { baselineRatio?: number; baselineName?: string }): string {
  const c = many.concurrency;
  const head = a.met ? `×${a.ratio.toFixed(2)} meets ×${a.target}; what still limits it is ` : `×${a.ratio.toFixed(2)} < ×${a.target}: `;
  const added = many.meanTransactionMs - one.meanTransactionMs;
  const context: string[] = [];
  if (Number.isFinite(many.machineBusy)) {
    context.push(
      many.machineBusy >= SATURATED
        ? `the machine's CPU is saturated at concurrency ${c} (busy ${pct(many.machineBusy)}, ${pct(one.machineBusy)} at 1)`
        : `the machine's CPU is not saturated (busy ${pct(many.machineBusy)} at concurrency ${c}, ${pct(one.machineBusy)} at 1)`,
    );
    // Saturated already at concurrency 1: other processes hold CPU, and more transactions in flight
    // win a larger share of it from them (the scheduler shares by runnable task), so the ratio
    // measures that share as much as our scaling.
    if (one.machineBusy >= SATURATED) context.push(`other load kept the CPU busy already at concurrency 1, so the ratio also reflects the share of CPU more transactions win from it`);
  }
  if (options.baselineRatio !== undefined && Number.isFinite(options.baselineRatio)) {
    context.push(`${options.baselineName ?? 'the baseline'} scales ×${options.baselineRatio.toFixed(2)} in the same run`);
  }
  const tail = context.length ? `; ${context.join('; ')}` : '';
  if (many.eventLoopUtilization >= ELU_LIMIT || many.eventLoopDelayP99Ms >= LAG_LIMIT_MS) {
    return `${head}the event loop of this process (utilisation ${pct(many.eventLoopUtilization)}, delay p99 ${f0(many.eventLoopDelayP99Ms)} ms at concurrency ${c})${tail}`;
  }
  if (a.inFlight[1] < 0.85 * c) {
    return `${head}the scheduler: on average ${a.inFlight[1].toFixed(1)} of ${c} slots hold a transaction${tail}`;
  }
  const clientAdded = a.clientMsPerTransaction[1] - a.clientMsPerTransaction[0];
  const top = a.calls[0];
  if (added > 0 && clientAdded > 0.3 * added && (!top || clientAdded > top.addedMsPerTransaction)) {
    return `${head}this process between engine calls (+${f0(clientAdded)} ms per transaction outside engine calls, ${pct(clientAdded / added)} of the added latency)${tail}`;
  }
  if (!top || !(added > 0)) return `${head}nothing measurable: transactions take no longer at concurrency ${c} than at 1${tail}`;
  const second = a.calls[1] && a.calls[1].addedMsPerTransaction > 0 ? `, then ${a.calls[1].kind} (+${f0(a.calls[1].addedMsPerTransaction)} ms)` : '';
  return (
    `${head}the engine's ${top.kind} calls — ${f0(top.meanMs[0])} → ${f0(top.meanMs[1])} ms (×${top.growth.toFixed(1)}) when ${c} overlap, ` +
    `${pct(top.addedMsPerTransaction / added)} of the +${f0(added)} ms each transaction gains${second}; ` +
    `our event loop ${pct(many.eventLoopUtilization)} busy, ${a.inFlight[1].toFixed(1)} of ${c} slots busy${tail}`
  );
}
