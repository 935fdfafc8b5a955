/**
 * Throughput measurement for bench/transactions: cold batches at concurrency 1 and 4, interleaved
 * over several rounds with the same batches through the docker CLI (`docker run --rm`, the
 * baseline), each series instrumented — engine calls by kind and duration (engine/callTrace), this
 * process's event-loop utilisation and delay and CPU, the machine's busy CPU share (/proc/stat) —
 * and analysed by core/throughput into per-phase figures and a computed "what serialises" line.
 * Lives in bench/lib/ so scripts/bench.sh does not run it on its own.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EngineCallRecorder } from '../../src/engine/callTrace';
import { runBatch } from '../../src/engine/batch';
import type { TransactionRunner } from '../../src/engine/transaction';
import { runBounded } from '../../src/core/schedule';
import { analyseScaling, type ScalingAnalysis, type ScalingSeries } from '../../src/core/throughput';
import { ratio, throughput } from '../../src/core/stats';
import { ProcCpuWindow, procCpuAvailable, type CpuGroup } from './procCpu';

/** Busy and total CPU jiffies of the whole machine (all cores), or undefined off Linux. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
    return { busy: total - f[3] - f[4], total };
  } catch {
    return undefined;
  }
}

interface Accumulated extends ScalingSeries {
  latencySumMs: number;
  /** CPU ms by process group summed over rounds (bench/lib/procCpu). */
  cpuByGroup: Partial<Record<CpuGroup, number>>;
  /** Network hook processes (procCpu's 'network hook' group) seen starting, summed over rounds. */
  networkHooks: number;
  machineBusyMs: number;
}

function emptySeries(concurrency: number): Accumulated {
  return {
    concurrency,
    transactions: 0,
    wallMs: 0,
    meanTransactionMs: NaN,
    calls: {},
    eventLoopUtilization: NaN,
    eventLoopDelayP99Ms: NaN,
    processCpuMsPerTransaction: NaN,
    machineBusy: NaN,
    latencySumMs: 0,
    cpuByGroup: {},
    networkHooks: 0,
    machineBusyMs: 0,
  };
}

/** Per-series probes summed over rounds (utilisations weighted by wall time). */
class Probe {
  private elu = { active: 0, idle: 0 };
  private lagMax: number[] = [];
  private cpuUs = 0;
  private cpu = { busy: 0, total: 0, known: true };

  async measure(series: Accumulated, run: () => Promise<{ completed: number; latenciesMs: number[] }>, recorder?: EngineCallRecorder): Promise<void> {
    recorder?.clear();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const win = procCpuAvailable() ? new ProcCpuWindow() : undefined;
    const t0 = performance.now();
    const { completed, latenciesMs } = await run();
    const wall = performance.now() - t0;
    const w = win?.stop();
    if (w) {
      for (const [g, ms] of Object.entries(w.byGroup)) series.cpuByGroup[g as CpuGroup] = (series.cpuByGroup[g as CpuGroup] ?? 0) + ms;
      series.machineBusyMs += w.machineBusyMs;
      series.networkHooks += w.startedByGroup['network hook'];
    }
    const m1 = machineCpu();
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    lag.disable();
    series.transactions += completed;
    series.wallMs += wall;
    series.latencySumMs += latenciesMs.reduce((a, b) => a + b, 0);
    this.elu.active += elu.active;
    this.elu.idle += elu.idle;
    this.lagMax.push(lag.percentile(99) / 1e6);
    this.cpuUs += cpu.user + cpu.system - (w?.pollerMs ?? 0) * 1000; // the /proc poller is not ours
    if (m0 && m1) {
      this.cpu.busy += m1.busy - m0.busy;
      this.cpu.total += m1.total - m0.total;
    } else this.cpu.known = false;
    for (const c of recorder?.calls ?? []) ((series.calls as Record<string, number[]>)[c.kind] ??= []).push(c.ms);
    series.meanTransactionMs = series.latencySumMs / series.transactions;
    series.eventLoopUtilization = this.elu.active / (this.elu.active + this.elu.idle);
    series.eventLoopDelayP99Ms = Math.max(...this.lagMax);
    series.processCpuMsPerTransaction = this.cpuUs / 1000 / series.transactions;
    series.machineBusy = this.cpu.known && this.cpu.total > 0 ? this.cpu.busy / this.cpu.total : NaN;
  }
}

/** `count` × `docker run --rm --network none IMAGE true` with at most `concurrency` at once. */
async function cliBatch(image: string, count: number, concurrency: number): Promise<{ completed: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  await runBounded(count, concurrency, () => {
    const t0 = performance.now();
    return new Promise<void>((resolve, reject) => {
      const p = spawn('docker', ['run', '--rm', '--network', 'none', '--label', 'io.container-lineage.test=bench-transactions', image, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (b: Buffer) => (err += b.toString()));
      p.on('error', reject);
      p.on('exit', (code) => {
        latenciesMs.push(performance.now() - t0);
        if (code === 0) resolve();
        else reject(new Error(`docker run exited ${code}: ${err.trim()}`));
      });
    });
  });
  return { completed: count, latenciesMs };
}

const ENGINE_GROUPS: CpuGroup[] = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'kernel threads', 'container processes'];

/** Our two series (concurrency 1 and `high`) in one network mode. */
interface OursInMode {
  network: string;
  series: readonly [Accumulated, Accumulated];
  analysis: ScalingAnalysis;
}

/**
 * The CPU budget lines: CPU ms per transaction by process group at c1 and c`high`, ours in each
 * network mode and the CLI's, and the ceiling each implies. With C CPU-ms per transaction (engine
 * groups + the client: this process or the docker CLI) on K cores, throughput cannot exceed
 * K × 1000 / C per s, so c`high`/c1 cannot exceed (K × 1000 / C) / (c1 throughput) — Amdahl-free,
 * a pure CPU-capacity bound.
 */
function cpuLines(ours: readonly OursInMode[], cli: readonly Accumulated[], cliC1: number, high: number): string[] {
  if (!procCpuAvailable() || ours[0].series[0].machineBusyMs === 0) return [];
  const cores = os.availableParallelism();
  const per = (s: Accumulated, g: CpuGroup) => (s.cpuByGroup[g] ?? 0) / s.transactions;
  const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const pair = (a: Accumulated, b: Accumulated, v: (s: Accumulated) => number) => `${f(v(a)).padStart(5)} → ${f(v(b)).padStart(5)}`;
  const sum = (s: Accumulated, client: CpuGroup) => [...ENGINE_GROUPS, client].reduce((t, g) => t + per(s, g), 0);
  const columns: Array<{ s: readonly Accumulated[]; client: CpuGroup }> = [...ours.map((o) => ({ s: o.series, client: 'this process' as CpuGroup })), { s: cli, client: 'docker CLI' }];
  const row = (label: string, v: (s: Accumulated, client: CpuGroup) => number) => `    ${label.padEnd(24)} ${columns.map((c) => pair(c.s[0], c.s[1], (s) => v(s, c.client))).join('  | ')}`;
  const lines = [
    `  CPU ms per transaction by process (/proc/<pid>/stat, polled; ${cores} cores), c1 → c${high}:  ${ours.map((o) => `ours, network ${o.network}`).join('  |  ')}  |  CLI, network none`,
    ...[...ENGINE_GROUPS, 'this process', 'docker CLI'].map((g) => row(g, (s) => per(s, g as CpuGroup))),
    row('attributed total', (s, client) => sum(s, client)),
    row('machine busy (all)', (s) => s.machineBusyMs / s.transactions),
    row('network hook (in shim)', (s) => per(s, 'network hook')),
    row('network hooks seen / tx', (s) => (100 * s.networkHooks) / s.transactions),
    `    (machine busy − attributed: other users + what polling missed; the network hook is dockerd's binary run by runc as a prestart hook,`,
    `     its CPU also counted in the shim's reaped children; "seen / tx" is per 100 transactions, only hooks that outlive a 50 ms poll)`,
  ];
  for (const o of ours) {
    const c4 = sum(o.series[1], 'this process');
    const engineShare = (100 * ENGINE_GROUPS.reduce((t, g) => t + per(o.series[1], g), 0)) / c4;
    lines.push(
      `  CPU ceiling, network ${o.network}: with ${f(c4)} CPU-ms per transaction (at c${high}) on ${cores} cores, ours cannot exceed ${f((cores * 1000) / c4, 2)}/s, ` +
        `i.e. c${high}/c1 ≤ ×${f((cores * 1000) / c4 / o.analysis.throughput[0], 2)}; the engine's share (dockerd+containerd+shim+runc+kernel) is ${f(engineShare)}%`,
    );
  }
  if (ours.length > 1) {
    const [a, b] = [ours[0], ours[1]];
    const [sa, sb] = [a.series[1], b.series[1]];
    const hooks = (s: Accumulated) => (100 * s.networkHooks) / s.transactions;
    const why =
      hooks(sa) > 0 && sb.networkHooks === 0
        ? `: with ${a.network} the engine still makes a network sandbox for each container and runs its libnetwork-setkey prestart hook (dockerd's binary again), with ${b.network} neither`
        : '';
    lines.push(
      `  network ${a.network} costs ${f(sum(sa, 'this process') - sum(sb, 'this process'))} CPU-ms per transaction more than ${b.network} at c${high} ` +
        `(${(['dockerd', 'containerd', 'containerd-shim', 'runc'] as const).map((g) => `${g} ${f(per(sa, g) - per(sb, g))}`).join(', ')}; hooks seen ${f(hooks(sa))} vs ${f(hooks(sb))} per 100 transactions)${why}`,
    );
  }
  lines.push(`  CPU ceiling, CLI: ≤ ×${f((cores * 1000) / sum(cli[1], 'docker CLI') / cliC1, 2)}`);
  return lines;
}

/** Figures of the throughput part of bench/transactions. */
export interface ThroughputFigures {
  /** Ours, per network mode measured (the first is the default, 'none'). */
  ours: Array<{ network: string; analysis: ScalingAnalysis; series: [ScalingSeries, ScalingSeries] }>;
  cli: { throughput: [number, number]; ratio: number };
  /** Report lines, ready to print. */
  lines: string[];
}

/**
 * Measure cold throughput at concurrency 1 and `high` (default 4), ours in each of `networks`
 * (default 'none', the secure default, and 'disabled', no engine network setup) and the docker
 * CLI's (`--network none`), in `rounds` interleaved rounds of `count` transactions per series (the
 * order of the series alternates between rounds so a change of background load hits all alike).
 * @throws Error when a transaction fails (the batch report's failures) or the docker CLI fails.
 */
export async function measureThroughput(
  runner: TransactionRunner,
  recorder: EngineCallRecorder,
  options: { image: string; count: number; rounds: number; high?: number; target?: number; networks?: readonly string[] },
): Promise<ThroughputFigures> {
  const high = options.high ?? 4;
  const target = options.target ?? 1.8;
  const networks = options.networks ?? ['none', 'disabled'];
  const ours = networks.map(() => [emptySeries(1), emptySeries(high)] as const);
  const cli = [emptySeries(1), emptySeries(high)] as const;
  const probes = { ours: ours.map(() => [new Probe(), new Probe()]), cli: [new Probe(), new Probe()] };
  const oursBatch = async (concurrency: number, network: string) => {
    const { report, results } = await runBatch(runner, { image: options.image, cmd: ['true'], count: options.count, concurrency, security: { network } });
    if (report.failures > 0 || report.notRemoved > 0) throw new Error(`cold batch at concurrency ${concurrency}, network ${network}: ${report.failures} failures, ${report.notRemoved} not removed: ${report.sampleErrors.join('; ')}`);
    return { completed: report.completed, latenciesMs: results.map((r) => r.timings.total) };
  };
  for (let round = 0; round < options.rounds; round++) {
    const steps: Array<() => Promise<void>> = [0, 1].flatMap((i) => [
      ...networks.map((network, m) => () => probes.ours[m]![i]!.measure(ours[m]![i], () => oursBatch(ours[m]![i].concurrency, network), recorder)),
      () => probes.cli[i]!.measure(cli[i], () => cliBatch(options.image, options.count, cli[i].concurrency)),
    ]);
    if (round % 2 === 1) steps.reverse();
    for (const step of steps) await step();
  }
  const cliThr: [number, number] = [throughput(cli[0].transactions, cli[0].wallMs), throughput(cli[1].transactions, cli[1].wallMs)];
  const cliRatio = ratio(cliThr[1], cliThr[0]);
  const modes: OursInMode[] = networks.map((network, m) => ({
    network,
    series: ours[m]!,
    analysis: analyseScaling(ours[m]![0], ours[m]![1], { target, baselineRatio: cliRatio, baselineName: 'the docker CLI' }),
  }));
  const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : '–');
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const lines = [`throughput (cold, ${options.rounds} rounds × ${options.count} transactions per series, concurrency 1 and ${high}, ours in network ${networks.join(' and ')}, interleaved with the docker CLI):`];
  for (const { network, analysis: a } of modes) lines.push(`  ${`ours (network ${network})`.padEnd(32)} c1 ${f(a.throughput[0], 2)}/s  c${high} ${f(a.throughput[1], 2)}/s  ×${f(a.ratio, 2)}`);
  lines.push(`  docker run --rm --network none   c1 ${f(cliThr[0], 2)}/s  c${high} ${f(cliThr[1], 2)}/s  ×${f(cliRatio, 2)}  (baseline; ours/CLI at c${high}: ${modes.map((o) => `×${f(ratio(o.analysis.throughput[1], cliThr[1]), 2)} ${o.network}`).join(', ')})`);
  for (const { network, analysis: a } of modes) {
    lines.push(`  target concurrency ${high} ≥ ${target}× concurrency 1, network ${network}${network === networks[0] ? ' (the default)' : ''}: ×${f(a.ratio, 2)} ${a.met ? 'met' : 'NOT met'}`);
  }
  for (const { network, series, analysis: a } of modes) {
    lines.push(
      `  network ${network}: engine round trips per transaction ${f(a.roundTrips[0])} at c1, ${f(a.roundTrips[1])} at c${high} (${a.calls.map((c) => `${c.kind} ${f(c.perTransaction[0])}`).join(', ')})`,
      `    ${'phase (engine call)'.padEnd(28)} ${'mean c1'.padStart(8)} ${`mean c${high}`.padStart(8)} ${'×'.padStart(5)} ${'added ms/tx'.padStart(12)}`,
      ...a.calls.map((c) => `    ${c.kind.padEnd(28)} ${f(c.meanMs[0]).padStart(8)} ${f(c.meanMs[1]).padStart(8)} ${f(c.growth, 2).padStart(5)} ${f(c.addedMsPerTransaction).padStart(12)}`),
      `    ${'outside engine calls (ours)'.padEnd(28)} ${f(a.clientMsPerTransaction[0]).padStart(8)} ${f(a.clientMsPerTransaction[1]).padStart(8)} ${''.padStart(5)} ${f(a.clientMsPerTransaction[1] - a.clientMsPerTransaction[0]).padStart(12)}`,
      `    ${'whole transaction'.padEnd(28)} ${f(series[0].meanTransactionMs).padStart(8)} ${f(series[1].meanTransactionMs).padStart(8)} ${f(ratio(series[1].meanTransactionMs, series[0].meanTransactionMs), 2).padStart(5)} ${f(series[1].meanTransactionMs - series[0].meanTransactionMs).padStart(12)}`,
      `    event loop utilisation ${pct(series[0].eventLoopUtilization)} → ${pct(series[1].eventLoopUtilization)}, delay p99 ${f(series[0].eventLoopDelayP99Ms, 0)} → ${f(series[1].eventLoopDelayP99Ms, 0)} ms; ` +
        `our CPU ${f(series[0].processCpuMsPerTransaction)} → ${f(series[1].processCpuMsPerTransaction)} ms per transaction; slots busy ${f(a.inFlight[0], 2)} → ${f(a.inFlight[1], 2)}; ` +
        `machine CPU busy ${pct(series[0].machineBusy)} → ${pct(series[1].machineBusy)} (CLI series ${pct(cli[0].machineBusy)} → ${pct(cli[1].machineBusy)})`,
      `    what serialises: ${a.verdict}`,
    );
  }
  lines.push(...cpuLines(modes, cli, cliThr[0], high));
  return { ours: modes.map((o) => ({ network: o.network, analysis: o.analysis, series: [o.series[0], o.series[1]] })), cli: { throughput: cliThr, ratio: cliRatio }, lines };
}
