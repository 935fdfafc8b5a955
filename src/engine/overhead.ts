/**
 * Runs the overhead experiment against a real engine: the same workload N times on the host (a
 * child process) and N times in containers, interleaved in rotating order after warm-ups
 * (`core/experiment.ts`), then the container lifecycle (create, start, exec, stop, remove) cold
 * and from a warm pool. Returns an {@link OverheadReport}.
 *
 * Nothing is left behind: every container carries `io.container-lineage.overhead=<run id>` and the
 * throwaway labels (so the throwaway sweep removes them after a crash), is tracked from creation,
 * and is force-removed in a `finally` path — also when the run is cancelled through its
 * AbortSignal or fails; a final label-filtered listing catches a container whose create was in
 * flight at cancel time.
 *
 * Container side of the workloads (default `containerMode: 'exec'`): one long-lived container per
 * variant, each repetition is an `exec` in it — the workload, not container creation, is what is
 * timed; the lifecycle part measures creation separately. `containerMode: 'run'` creates a fresh
 * container per repetition instead (what `docker run --rm` does; used by bench/overhead-truth).
 */
import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { detectEngineKind, engineTitle } from '../core/dialect';
import { buildReport, planRuns, type LifecycleSample, type OverheadReport, type Phase } from '../core/experiment';
import { throwawayLabels } from '../core/labels';
import {
  builtinWorkload,
  customWorkload,
  DEFAULT_SIZES,
  NET_CONTAINER_PORT,
  parseSelfTime,
  selfTimedScript,
  type VariantSpec,
  type WorkloadId,
  type WorkloadSizes,
  type WorkloadSpec,
} from '../core/workloads';
import { median } from '../core/stats';
import { currentOwner } from './owner';
import { drain, OutputCollector } from './containerOutput';
import { engineMessage, statusOf } from './engineErrors';
import { removeContainer } from './transaction';
import { ECHO_SERVER, echoRoundTrips, freePort, waitForEcho } from './overheadNet';
import { abortable, Cancelled, execIn, findHostBusybox, runHost } from './overheadRuns';

/** Label on every container of an experiment; value = run id. */
export const LABEL_OVERHEAD = 'io.container-lineage.overhead';

/** Progress of a running experiment. */
export interface OverheadProgress {
  /** Steps done / total (workload repetitions incl. warm-ups, plus lifecycle runs). */
  done: number;
  total: number;
  /** What is running now, e.g. "container (tmpfs) #3". */
  message: string;
}

export interface OverheadOptions {
  /** Image reference for the container side (must exist on the engine). */
  image: string;
  workload: WorkloadId;
  /** Measured repetitions per series (default 10). */
  n?: number;
  /** Warm-up rounds, discarded (default 1). */
  warmups?: number;
  /** Custom workload: argv run in the container (required for 'custom'). */
  command?: string[];
  /** Custom workload: argv run on the host (default: `command`). */
  hostCommand?: string[];
  /** Sizes of the built-in workloads. */
  sizes?: Partial<WorkloadSizes>;
  /** Cold and warm lifecycle measurements each (default 5; 0 skips the lifecycle part). */
  lifecycleRuns?: number;
  /** 'exec' (default): repetitions exec into a long-lived container; 'run': fresh container each. */
  containerMode?: 'exec' | 'run';
  /** Abort to cancel: running work is stopped, all containers removed, a partial report returned. */
  signal?: AbortSignal;
  onProgress?: (p: OverheadProgress) => void;
  /** Run id (default: random); also the value of {@link LABEL_OVERHEAD}. */
  runId?: string;
  /** Host busybox binary (default: found on PATH, /bin, /usr/bin). */
  hostBusybox?: string;
  /** Bootstrap seed (default 1). */
  seed?: number;
}
/** The long-lived command of holder containers: sleeps, exits promptly on SIGTERM (stop). */
const HOLDER_CMD = ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

/**
 * Run an overhead experiment. Never leaves a container behind (see module docs).
 * @returns the report; `cancelled: true` with partial numbers when `signal` aborted.
 * @throws Error with a clear message when the image is missing, the host lacks busybox, or a
 *   workload command fails (containers are removed before the error propagates).
 */
export async function runOverheadExperiment(docker: Docker, options: OverheadOptions): Promise<OverheadReport> {
  const runId = options.runId ?? `ovh-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const n = options.n ?? 10;
  const warmups = options.warmups ?? 1;
  const lifecycleRuns = options.lifecycleRuns ?? 5;
  const mode = options.containerMode ?? 'exec';
  const signal = options.signal;
  const sizes: WorkloadSizes = { ...DEFAULT_SIZES, ...options.sizes };
  const spec: WorkloadSpec & { command?: string[]; hostCommand?: string[] } =
    options.workload === 'custom' ? customWorkload(options.command ?? [], options.hostCommand) : builtinWorkload(options.workload, sizes);
  const owner = currentOwner();
  const labels = { ...throwawayLabels(owner, 'transaction'), [LABEL_OVERHEAD]: runId };
  const live = new Set<string>();
  const startedAt = new Date().toISOString();
  const runs: Array<{ variant: string; valueMs: number; wallMs: number }> = [];
  const lifecycle: LifecycleSample[] = [];
  const notes: string[] = [];
  const cleanups: Array<() => void> = [];
  let cancelled = false;

  const hostBusybox = spec.id === 'custom' ? undefined : findHostBusybox(options.hostBusybox);
  try {
    await docker.getImage(options.image).inspect();
  } catch (err) {
    if (statusOf(err) === 404) throw new Error(`Image "${options.image}" is not on the engine. Build or load it first (scripts/engine.sh imports busybox:latest).`);
    throw err;
  }
  const environment: Record<string, string> = {
    kernel: `${os.type()} ${os.release()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    hostBusybox: hostBusybox ?? '(custom host command)',
    containerMode: mode,
  };
  try {
    const v = await docker.version();
    const kind = detectEngineKind({ componentNames: (v.Components ?? []).map((c) => c?.Name ?? ''), platformName: v.Platform?.Name });
    environment.engine = `${engineTitle(kind, v.Version)} (API ${v.ApiVersion})`;
  } catch {
    /* informational only */
  }

  const plan = planRuns(spec.variants.map((v) => v.id), n, warmups);
  const total = plan.length + (lifecycleRuns > 0 ? 2 * lifecycleRuns : 0);
  let done = 0;
  const progress = (message: string) => options.onProgress?.({ done, total, message });

  const create = async (config: Docker.ContainerCreateOptions): Promise<Docker.Container> => {
    const c = await docker.createContainer({ ...config, Labels: { ...labels, ...(config.Labels ?? {}) } });
    live.add(c.id);
    return c;
  };
  const remove = async (id: string) => {
    await removeContainer(docker, id);
    live.delete(id);
  };

  const hostDir = mkdtempSync(join(os.tmpdir(), 'cl-overhead-'));
  cleanups.push(() => rmSync(hostDir, { recursive: true, force: true }));

  /** Container create config for a variant (workload containers). */
  const containerConfig = (v: VariantSpec, cmd: string[]): Docker.ContainerCreateOptions => {
    // Workload containers need no network (the net workload configures its own); lifecycle
    // containers keep the engine's default network, as `docker run` does.
    const hc: Docker.HostConfig = { AutoRemove: false, NetworkMode: 'none' };
    const cfg: Docker.ContainerCreateOptions = { Image: options.image, Cmd: cmd, HostConfig: hc };
    if (v.tmpfs && v.workDir) hc.Tmpfs = { [v.workDir]: 'rw,size=64m' };
    if (v.volume && v.workDir) cfg.Volumes = { [v.workDir]: {} };
    return cfg;
  };

  // Per-variant executors: each returns { valueMs, wallMs } for one repetition.
  type Executor = () => Promise<{ valueMs: number; wallMs: number }>;
  const executors = new Map<string, Executor>();

  try {
    for (const v of spec.variants) {
      if (signal?.aborted) throw new Cancelled();
      progress(`preparing ${v.label}`);
      executors.set(v.id, await abortable(prepareVariant(v), signal));
    }
    for (const step of plan) {
      if (signal?.aborted) throw new Cancelled();
      const v = spec.variants.find((x) => x.id === step.variant)!;
      progress(`${step.warmup ? 'warm-up' : 'run'} ${v.label} #${step.index + 1}`);
      const r = await abortable(executors.get(step.variant)!(), signal);
      if (!step.warmup) runs.push({ variant: step.variant, ...r });
      done++;
    }
    // Stop the workload containers before the lifecycle part so they do not compete with it.
    await Promise.all([...live].map((id) => remove(id)));
    for (const fn of cleanups.splice(1)) fn();
    if (lifecycleRuns > 0) {
      try {
        await measureLifecycle();
      } catch (err) {
        if (err instanceof Cancelled || signal?.aborted) throw err;
        notes.push(`The lifecycle part failed: ${engineMessage(err)}`);
      }
    }
    done = total;
    progress('finished');
  } catch (err) {
    if (err instanceof Cancelled || signal?.aborted) cancelled = true;
    else throw err;
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
    await Promise.all([...live].map((id) => remove(id).catch(() => undefined)));
    // A create in flight when cancelled resolves after we stopped tracking: find it by label.
    try {
      const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OVERHEAD}=${runId}`] } });
      await Promise.all(left.map((c) => removeContainer(docker, c.Id).catch(() => undefined)));
    } catch {
      /* engine gone: the throwaway sweep removes them at the next activation */
    }
  }

  if (spec.measure === 'self-timed') notes.push('Values are timed inside the workload (busybox adjtimex), excluding process spawn and exec set-up; the lifecycle table shows what creating a container costs.');
  if (spec.measure === 'wall') notes.push('Values are client-observed wall times and include process spawn (host) or exec set-up (container, see the lifecycle exec phase).');
  if (spec.id === 'net') {
    notes.push('"bridge, NAT port" connects to a port published on 127.0.0.1 (the engine\'s NAT/userland proxy); "bridge IP" connects to the container\'s address on docker0 (no NAT); host networking shares the host stack. The echo servers listen on all addresses of their network namespace while the experiment runs.');
  }
  if (cancelled) notes.push('Cancelled: numbers cover the repetitions that finished.');

  return buildReport({
    runId,
    image: options.image,
    workload: spec.id,
    title: spec.title,
    description: spec.description,
    measure: spec.measure,
    n,
    warmups,
    startedAt,
    finishedAt: new Date().toISOString(),
    cancelled,
    environment,
    variants: spec.variants.map((v) => ({ id: v.id, label: v.label, side: v.side })),
    runs,
    lifecycle,
    notes,
    seed: options.seed,
  });

  // ---- helpers (hoisted) ----

  async function prepareVariant(v: VariantSpec): Promise<Executor> {
    if (spec.id === 'net') return prepareNet(v);
    const script = spec.script ? selfTimedScript(spec.script) : undefined;
    if (v.side === 'host') {
      const dir = join(hostDir, 'io');
      mkdirSync(dir, { recursive: true });
      const env = { ...process.env, CL_DIR: dir };
      const argv = script ? [hostBusybox!, 'sh', '-c', script] : spec.hostCommand!;
      return async () => {
        const r = await runHost(argv, env, signal);
        return { valueMs: script ? parseSelfTime(r.output) : r.wallMs, wallMs: r.wallMs };
      };
    }
    const argv = script ? ['sh', '-c', script] : spec.command!;
    const env = [`CL_DIR=${v.workDir ?? '/tmp/cl-overhead-io'}`];
    if (mode === 'run') {
      return async () => {
        const t0 = performance.now();
        const c = await create({ ...containerConfig(v, argv), Env: env, AttachStdout: true, AttachStderr: true });
        const stream = (await c.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
        const collector = new OutputCollector(false, true);
        const output = drain(stream, collector);
        await c.start();
        const waited = (await c.wait()) as { StatusCode?: number };
        await output.catch(() => undefined);
        await remove(c.id);
        const wallMs = performance.now() - t0;
        const text = collector.finish();
        if (waited.StatusCode !== 0) throw new Error(`workload exited with ${waited.StatusCode} in the container: ${(text.stdout + text.stderr).slice(-300)}`);
        return { valueMs: script ? parseSelfTime(text.stdout) : wallMs, wallMs };
      };
    }
    const holder = await create(containerConfig(v, HOLDER_CMD));
    await holder.start();
    return async () => {
      const r = await execIn(docker, holder.id, argv, env);
      if (r.exitCode !== 0) throw new Error(`workload exited with ${r.exitCode} in the container: ${r.output.slice(-300)}`);
      return { valueMs: script ? parseSelfTime(r.output) : r.wallMs, wallMs: r.wallMs };
    };
  }

  async function prepareNet(v: VariantSpec): Promise<Executor> {
    let host = '127.0.0.1';
    let port: number;
    if (v.side === 'host') {
      port = await freePort();
      const child = spawn(hostBusybox!, ECHO_SERVER(port), { stdio: 'ignore' });
      cleanups.push(() => child.kill('SIGKILL'));
    } else if (v.network === 'host') {
      port = await freePort();
      const c = await create({ Image: options.image, Cmd: ECHO_SERVER(port), HostConfig: { NetworkMode: 'host' } });
      await c.start();
    } else {
      const key = `${NET_CONTAINER_PORT}/tcp`;
      const c = await create({
        Image: options.image,
        Cmd: ECHO_SERVER(NET_CONTAINER_PORT),
        ExposedPorts: { [key]: {} },
        HostConfig: { NetworkMode: 'bridge', PortBindings: v.network === 'bridge' ? { [key]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : {} },
      });
      await c.start();
      const info = await c.inspect();
      if (v.network === 'bridge') {
        const bound = info.NetworkSettings?.Ports?.[key]?.[0]?.HostPort;
        if (!bound) throw new Error('the engine did not publish the container port');
        port = Number(bound);
      } else {
        host = info.NetworkSettings?.Networks?.bridge?.IPAddress ?? '';
        if (!host) throw new Error('the container got no bridge IP address');
        port = NET_CONTAINER_PORT;
      }
    }
    await waitForEcho(host, port, 10000, signal);
    const k = sizes.netRequests;
    return async () => {
      const t0 = performance.now();
      const times = await echoRoundTrips(host, port, k);
      // Median of the round trips: robust to the odd scheduler stall on a shared machine.
      return { valueMs: median(times), wallMs: performance.now() - t0 };
    };
  }

  async function lifecycleOnce(warmContainer?: Docker.Container): Promise<LifecycleSample> {
    const phases: Partial<Record<Phase, number>> = {};
    let c = warmContainer;
    if (!c) {
      let t = performance.now();
      c = await create({ Image: options.image, Cmd: HOLDER_CMD, HostConfig: { AutoRemove: false } });
      phases.create = performance.now() - t;
      t = performance.now();
      await c.start();
      phases.start = performance.now() - t;
    }
    const r = await execIn(docker, c.id, ['true'], []);
    if (r.exitCode !== 0) throw new Error(`"true" exited with ${r.exitCode} in ${options.image}`);
    phases.exec = r.wallMs;
    let t = performance.now();
    await c.stop({ t: 10 });
    phases.stop = performance.now() - t;
    t = performance.now();
    await remove(c.id);
    phases.remove = performance.now() - t;
    return { mode: warmContainer ? 'warm' : 'cold', phases };
  }

  async function measureLifecycle(): Promise<void> {
    // Alternate cold and warm; the warm container is created and started ahead of time (the
    // pool's refill work, off the request path), then given a moment to settle.
    for (let i = 0; i < lifecycleRuns; i++) {
      if (signal?.aborted) throw new Cancelled();
      progress(`lifecycle cold #${i + 1}`);
      lifecycle.push(await abortable(lifecycleOnce(), signal));
      done++;
      if (signal?.aborted) throw new Cancelled();
      progress(`lifecycle warm #${i + 1}`);
      const pooled = await abortable(create({ Image: options.image, Cmd: HOLDER_CMD, HostConfig: { AutoRemove: false } }), signal);
      await abortable(pooled.start(), signal);
      await new Promise((r) => setTimeout(r, 50));
      lifecycle.push(await abortable(lifecycleOnce(pooled), signal));
      done++;
    }
  }
}

/** Message for an engine error during an experiment (re-export for the faces). */
export { engineMessage };
