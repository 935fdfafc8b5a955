/**
 * bench/overhead-truth: does our overhead experiment measure what an independent stopwatch
 * measures? In one run against the real engine:
 *  1. our experiment, CPU workload, container side in `run` mode (a fresh container per
 *     repetition, like `docker run --rm`), host side a child process: client-observed medians;
 *  2. independently, alternating, plain timing of the same host command (spawnSync of
 *     busybox sh -c SCRIPT) and of `docker run --rm IMAGE sh -c SCRIPT` through the docker CLI;
 *  3. our default experiment (exec mode, self-timed work) for the CPU ratio container/host.
 * Prints our medians against the independent ones (agreement within 10% expected; the docker
 * CLI adds its own start-up, which our API path does not have) and the CPU ratio with its 95% CI.
 * Usage: node --import tsx bench/overhead-truth.ts [N] (default 9: with 5 rounds one slow host run
 * on a busy machine moved the host median by 10% in a full `npm run bench`; alone it agreed within 3%).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { median } from '../src/core/stats';
import { selfTimedScript, builtinWorkload } from '../src/core/workloads';
import { EngineConnection } from '../src/engine/connection';
import { runOverheadExperiment } from '../src/engine/overhead';
import { findHostBusybox } from '../src/engine/overheadRuns';

const IMAGE = process.env.CL_BENCH_IMAGE ?? 'busybox:latest';
const N = Number(process.argv[2] ?? 9);
const SIZES = { cpuIterations: 2_000_000 };

async function main(): Promise<void> {
  const engine = new EngineConnection({ env: process.env });
  if ((await engine.connect()).kind !== 'connected') throw new Error('no engine: run scripts/engine.sh first');
  const docker = engine.docker();
  const busybox = findHostBusybox();
  const script = selfTimedScript(builtinWorkload('cpu', { cpuIterations: SIZES.cpuIterations, memoryMiB: 1, ioFiles: 1, netRequests: 1 }).script!);

  console.log(`overhead-truth: CPU workload (${SIZES.cpuIterations} awk iterations), image ${IMAGE}, ${N} rounds`);
  const time = (argv: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}`);
    return performance.now() - t0;
  };
  const dockerRun = ['docker', 'run', '--rm', '--network', 'none', '--label', 'io.container-lineage.test=bench-overhead-truth', IMAGE, 'sh', '-c', script];
  // Rounds interleave our experiment (one repetition per side) with the independent timings, so a
  // change in machine load hits both alike. Round 0 is a warm-up.
  const ourHostWall: number[] = [];
  const ourContainerWall: number[] = [];
  const indepHost: number[] = [];
  const indepDocker: number[] = [];
  const settle = () => new Promise((r) => setTimeout(r, 300)); // let container teardown finish
  for (let round = 0; round <= N; round++) {
    // Alternate who goes first, so neither side always follows a container teardown.
    let r: Awaited<ReturnType<typeof runOverheadExperiment>> | undefined;
    let h = 0;
    let d = 0;
    const ourTurn = async () => {
      r = await runOverheadExperiment(docker, { image: IMAGE, workload: 'cpu', n: 1, warmups: 0, lifecycleRuns: 0, containerMode: 'run', sizes: SIZES });
      await settle();
    };
    const theirTurn = async () => {
      h = time([busybox, 'sh', '-c', script]);
      d = time(dockerRun);
      await settle();
    };
    if (round % 2 === 0) {
      await ourTurn();
      await theirTurn();
    } else {
      await theirTurn();
      await ourTurn();
    }
    if (round === 0 || !r) continue;
    ourHostWall.push(r.series[0].wallSamples[0]);
    ourContainerWall.push(r.series[1].wallSamples[0]);
    indepHost.push(h);
    indepDocker.push(d);
  }
  const ourHost = median(ourHostWall);
  const ourContainer = median(ourContainerWall);
  const hostAgree = ourHost / median(indepHost);
  const containerAgree = ourContainer / median(indepDocker);
  const ok = (r: number) => (Math.abs(r - 1) <= 0.1 ? 'within 10%' : 'OUTSIDE 10%');
  console.log(`host      : ours ${ourHost.toFixed(1)} ms  vs independent ${median(indepHost).toFixed(1)} ms   ratio ${hostAgree.toFixed(3)}  ${ok(hostAgree)}`);
  console.log(`container : ours ${ourContainer.toFixed(1)} ms  vs docker run --rm ${median(indepDocker).toFixed(1)} ms   ratio ${containerAgree.toFixed(3)}  ${ok(containerAgree)}`);

  const exec = await runOverheadExperiment(docker, { image: IMAGE, workload: 'cpu', n: N, warmups: 1, lifecycleRuns: 0, sizes: SIZES });
  const c = exec.comparisons[0];
  console.log(`CPU ratio container/host (exec mode, self-timed): ${c.ratio.toFixed(3)} (95% CI ${c.low.toFixed(3)}–${c.high.toFixed(3)}) — ${c.verdict}`);
  engine.dispose();
  if (Math.abs(hostAgree - 1) > 0.1 || Math.abs(containerAgree - 1) > 0.1) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`overhead-truth: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
