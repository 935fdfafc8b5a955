/**
 * bench/transactions: per-transaction latency of a throwaway container, in one run on the real
 * engine, as ratios to `docker run --rm IMAGE true` through the docker CLI (the baseline):
 *   (a) docker CLI `docker run --rm IMAGE true`           — baseline
 *   (b) our cold transaction (fresh container, secure defaults)
 *   (b') our cold transaction with the CLI's network (bridge), for a like-for-like comparison
 *   (b'') our cold transaction with network 'disabled' (no engine network sandbox)
 *   (c) our warm-pool transaction (pre-started container attached and waiting on stdin for its one
 *       command, end marker in-band, destroyed after), measured with the pool full (arrivals
 *       slower than refill; the refill work is reported separately)
 *   (c') the same with the exec fallback (images without a shell)
 * and throughput (transactions/s) of cold batches at concurrency 1 and 4, ours with network 'none'
 * (the default) and 'disabled', interleaved over rounds with the same batches through the docker
 * CLI, with the per-phase (engine call) breakdown, the event loop, round trips, the CPU per
 * transaction by process and a computed "what serialises" line (bench/lib/throughput.ts).
 * Targets: cold ≤ 0.9× CLI p50; warm ≤ 0.06× CLI p50 (issue 12 goal 5); (issue 12) concurrency 4 ≥ 1.8× concurrency 1.
 * Usage: node --import tsx bench/transactions.ts [N]   (default N = 30; BENCH_IMAGE overrides the image;
 *   THROUGHPUT_ROUNDS (default 3) and THROUGHPUT_N (default 16 per series and round);
 *   BENCH_ONLY=throughput measures the throughput part alone)
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { EngineConnection } from '../src/engine/connection';
import { TransactionRunner } from '../src/engine/transaction';
import { WarmPool } from '../src/engine/pool';
import { recordEngineCalls } from '../src/engine/callTrace';
import { measureThroughput } from './lib/throughput';
import { distribution, ratio, type Distribution } from '../src/core/stats';

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 30);
const IMAGE = process.env.BENCH_IMAGE ?? 'busybox:latest';
const ONLY_THROUGHPUT = process.env.BENCH_ONLY === 'throughput';

function row(name: string, d: Distribution, base?: Distribution): string {
  const r = base ? `  ×${ratio(d.p50, base.p50).toFixed(2)} p50, ×${ratio(d.p95, base.p95).toFixed(2)} p95` : '  (baseline)';
  return `${name.padEnd(44)} p50 ${d.p50.toFixed(1).padStart(7)} ms  p95 ${d.p95.toFixed(1).padStart(7)} ms${r}`;
}

async function main(): Promise<void> {
  const engine = new EngineConnection({ env: process.env, retry: false, healthIntervalMs: 0 });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error('no engine answered');
  const runner = new TransactionRunner(engine.docker(), { labels: { 'io.container-lineage.test': 'bench-transactions' } });
  const recorder = recordEngineCalls(engine.docker());
  try {
    if (ONLY_THROUGHPUT) {
      await runner.run({ image: IMAGE, cmd: ['true'] });
      await throughputPart(runner, recorder);
      return;
    }
    // Warm-up: one of each, not measured.
    spawnSync('docker', ['run', '--rm', IMAGE, 'true']);
    await runner.run({ image: IMAGE, cmd: ['true'] });

    const cli: number[] = [];
    const cold: number[] = [];
    const coldBridge: number[] = [];
    const coldDisabled: number[] = [];
    // Interleave (a), (b), (b'), (b'') so load from other engine users hits all three alike.
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = spawnSync('docker', ['run', '--rm', IMAGE, 'true']);
      cli.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`docker run failed: ${r.stderr}`);
      const c = await runner.run({ image: IMAGE, cmd: ['true'] });
      if (c.exitCode !== 0) throw new Error(`cold transaction failed: ${c.error}`);
      cold.push(c.timings.total);
      const b = await runner.run({ image: IMAGE, cmd: ['true'], security: { network: 'bridge' } });
      coldBridge.push(b.timings.total);
      const d = await runner.run({ image: IMAGE, cmd: ['true'], security: { network: 'disabled' } });
      if (d.exitCode !== 0) throw new Error(`cold transaction (network disabled) failed: ${d.error}`);
      coldDisabled.push(d.timings.total);
    }

    const warmSeries = async (via: 'attached' | 'exec') => {
      const pool = new WarmPool(runner, { image: IMAGE, size: 4, via });
      await pool.ready();
      const total: number[] = [];
      const acquire: number[] = [];
      for (let i = 0; i < N; i++) {
        await pool.ready();
        const w = await pool.run({ cmd: ['true'] });
        if (w.exitCode !== 0) throw new Error(`warm transaction (${via}) failed: ${w.error}`);
        total.push(w.timings.total);
        acquire.push(w.timings.acquire);
      }
      await pool.drain();
      if (pool.via !== via) throw new Error(`the pool fell back to ${pool.via}`);
      return { total, acquire, refill: pool.refillStats() };
    };
    // The CLI baseline again, interleaved with the warm series' neighbourhood in time.
    const cliLate: number[] = [];
    const warmRun = await warmSeries('attached');
    for (let i = 0; i < Math.ceil(N / 3); i++) {
      const t0 = performance.now();
      spawnSync('docker', ['run', '--rm', IMAGE, 'true']);
      cliLate.push(performance.now() - t0);
    }
    const execRun = await warmSeries('exec');
    const warm = warmRun.total;
    const acquire = warmRun.acquire;
    const refill = warmRun.refill;


    const dCli = distribution(cli);
    const dCold = distribution(cold);
    const dWarm = distribution(warm);
    console.log(`bench/transactions: ${IMAGE}, N = ${N} per series, engine ${state.info.version} (API ${state.info.apiVersion})`);
    console.log(row('(a) docker run --rm IMAGE true (CLI)', dCli));
    console.log(row('(b) cold transaction (network none)', dCold, dCli));
    console.log(row("(b') cold transaction (network bridge)", distribution(coldBridge), dCli));
    console.log(row("(b'') cold transaction (network disabled)", distribution(coldDisabled), dCli));
    console.log(row('(c) warm-pool transaction (attached)', dWarm, dCli));
    console.log(row("(c') warm-pool transaction (exec fallback)", distribution(execRun.total), dCli));
    console.log(`    CLI baseline again between (c) and (c'): p50 ${distribution(cliLate).p50.toFixed(1)} ms (${cliLate.length} runs)`);
    console.log(`    warm acquire p50 ${distribution(acquire).p50.toFixed(1)} ms; background per pool container: create+start p50 ${distribution(refill.prepareMs).p50.toFixed(1)} ms, remove p50 ${distribution(refill.removeMs).p50.toFixed(1)} ms`);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(`targets: cold ≤ 0.9× CLI: ${verdict(ratio(dCold.p50, dCli.p50) <= 0.9)}; warm ≤ 0.06× CLI: ${verdict(ratio(dWarm.p50, dCli.p50) <= 0.06)}`);
    await throughputPart(runner, recorder);
  } finally {
    recorder.stop();
    await runner.dispose();
    engine.dispose();
  }
}

async function throughputPart(runner: TransactionRunner, recorder: ReturnType<typeof recordEngineCalls>): Promise<void> {
  const rounds = Number(process.env.THROUGHPUT_ROUNDS ?? 3);
  const count = Number(process.env.THROUGHPUT_N ?? 16);
  const figures = await measureThroughput(runner, recorder, { image: IMAGE, count, rounds });
  for (const line of figures.lines) console.log(line);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
