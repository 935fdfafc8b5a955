/**
 * Warm pool: K containers of one image created and started ahead of time, idle (running a
 * long `sleep`), so a transaction only pays for an exec. Each container serves exactly ONE
 * transaction and is destroyed afterwards (the isolation of a fresh container is kept; only the
 * start latency is hidden — the "stem cell" idea of Apache OpenWhisk).
 *
 * Latency the transaction sees (`timings.acquire` + `timings.exec` = `timings.total`) is reported
 * separately from the background work (creating/starting replacements, removing used containers:
 * {@link WarmPool.refillStats}). Pool containers carry the throwaway labels plus
 * `io.container-lineage.pool=<image>`; they are tracked by the owning {@link TransactionRunner}, so
 * its `dispose()` and the orphan sweep remove them too. No `vscode` import.
 */
import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_TIMEOUT_MS,
  drain,
  engineMessage,
  hostConfigFor,
  OutputCollector,
  statusOf,
  type PhaseTimings,
  type SecurityOptions,
  type TransactionOptions,
  type TransactionResult,
  type TransactionRunner,
  type TransactionStatus,
} from './transaction';

/** Options of a warm pool. */
export interface WarmPoolOptions {
  /** Image reference. */
  image: string;
  /** Number of idle containers kept ready (K ≥ 1). */
  size: number;
  /** Overrides of the secure defaults (same as cold transactions). */
  security?: Partial<SecurityOptions>;
  /** Command that keeps an idle container alive (default `sleep 2147483647`; busybox has `sleep`). */
  idleCmd?: string[];
  /** Told about background failures (e.g. the image vanished). */
  onError?: (message: string) => void;
}

/** Background work of the pool so far (durations in ms). */
export interface RefillStats {
  /** Containers created and started ahead of time. */
  created: number;
  /** create + start duration of each prepared container (ms). */
  prepareMs: number[];
  /** Removal duration of each used container (ms), done after its transaction returned. */
  removeMs: number[];
  /** Background failures (messages). */
  errors: string[];
}

/** A transaction run in a pool container (no image/tty/security: those are the pool's). */
export type PoolTransactionOptions = Omit<TransactionOptions, 'image' | 'tty' | 'security'>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A warm pool for one image. Call {@link start} (or just {@link run}: it starts the pool), and
 * {@link drain} when done (the runner's `dispose()` is the safety net).
 */
export class WarmPool {
  private readonly idle: string[] = [];
  private preparing = 0;
  private waiters: Array<{ resolve: (id: string) => void; reject: (err: Error) => void }> = [];
  private draining = false;
  private lastError: string | undefined;
  private readonly pendingRemovals = new Set<Promise<void>>();
  private readonly stats: RefillStats = { created: 0, prepareMs: [], removeMs: [], errors: [] };

  /**
   * @param runner owner of every container (labels, tracking, removal); its `docker` client is used.
   * @param options pool options.
   * @throws RangeError when size is not an integer ≥ 1.
   */
  constructor(
    /** Owner of this pool's containers. */
    readonly runner: TransactionRunner,
    readonly options: WarmPoolOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a whole number ≥ 1, got ${options.size}`);
  }

  private get docker(): Docker {
    return this.runner.docker;
  }

  /** Number of idle (ready) containers now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Copy of the background-work statistics. */
  refillStats(): RefillStats {
    return { created: this.stats.created, prepareMs: [...this.stats.prepareMs], removeMs: [...this.stats.removeMs], errors: [...this.stats.errors] };
  }

  /** Begin filling the pool in the background (idempotent). */
  start(): void {
    this.refill();
  }

  /**
   * Resolve when K containers are idle (for benchmarks: measure only warm transactions).
   * @throws Error when preparing a container fails (e.g. the image is missing) or the pool drains.
   */
  async ready(): Promise<void> {
    this.start();
    while (this.idle.length < this.options.size) {
      if (this.draining) throw new Error('The warm pool was drained.');
      if (this.lastError && this.preparing === 0) throw new Error(this.lastError);
      await sleep(20);
    }
  }

  private refill(): void {
    while (!this.draining && this.idle.length + this.preparing < this.options.size + this.waiters.length && this.preparing < this.options.size) {
      this.preparing++;
      void this.prepareOne().then((ok) => {
        this.preparing--;
        // Keep topping up after a success; after a failure wait for the next acquire/start
        // (no retry loop against a missing image or a dead engine).
        if (ok) this.refill();
      });
    }
  }

  /** Create + start one idle container; resolves false when that failed. */
  private async prepareOne(): Promise<boolean> {
    const t0 = performance.now();
    let id = '';
    try {
      const container = await this.docker.createContainer({
        Image: this.options.image,
        Cmd: this.options.idleCmd ?? ['sleep', '2147483647'],
        Labels: this.runner.labels('pool', this.options.image),
        HostConfig: hostConfigFor(this.options.security),
      });
      id = container.id;
      this.runner.track(id);
      await container.start();
      this.stats.created++;
      this.stats.prepareMs.push(performance.now() - t0);
      this.lastError = undefined;
    } catch (err) {
      const msg =
        statusOf(err) === 404 && !id
          ? `Image "${this.options.image}" is not on the engine; build or pull it first.`
          : `warm pool could not prepare a container: ${engineMessage(err)}`;
      this.lastError = msg;
      this.stats.errors.push(msg);
      this.options.onError?.(msg);
      if (id) void this.runner.remove(id);
      // Fail the waiters rather than retrying forever against a broken image/engine.
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(new Error(msg));
      return false;
    }
    if (this.draining) {
      this.removeInBackground(id);
      return true;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(id);
    else this.idle.push(id);
    return true;
  }

  /** Take an idle container, or wait for the next prepared one. */
  private acquire(signal?: AbortSignal): Promise<string> {
    if (this.draining) return Promise.reject(new Error('The warm pool was drained.'));
    const id = this.idle.shift();
    const p =
      id !== undefined
        ? Promise.resolve(id)
        : new Promise<string>((resolve, reject) => {
            const onAbort = () => {
              const i = this.waiters.indexOf(entry);
              if (i >= 0) this.waiters.splice(i, 1);
              reject(Object.assign(new Error('cancelled'), { cancelled: true }));
            };
            const entry = {
              resolve: (v: string) => {
                signal?.removeEventListener('abort', onAbort);
                resolve(v);
              },
              reject: (e: Error) => {
                signal?.removeEventListener('abort', onAbort);
                reject(e);
              },
            };
            this.waiters.push(entry);
            signal?.addEventListener('abort', onAbort, { once: true });
          });
    this.refill(); // replace the one taken (background)
    return p;
  }

  private removeInBackground(id: string): void {
    const t0 = performance.now();
    const p = this.runner.remove(id).then((problem) => {
      if (problem) this.stats.errors.push(problem);
      else this.stats.removeMs.push(performance.now() - t0);
    });
    this.pendingRemovals.add(p);
    void p.finally(() => this.pendingRemovals.delete(p));
  }

  /**
   * Run one transaction in a pool container with exec; the container is then destroyed in the
   * background (never reused). Never throws for engine/command failures (see the result's status);
   * throws only when the runner was disposed.
   * Timings: `acquire` (waiting for an idle container), `exec` = `run` (exec create/start until the
   * exit code is known), `total` = what the caller waited; `create`, `start`, `remove` are NaN here
   * (background work, see {@link refillStats}).
   * The result's `removed` is false: removal is pending; await {@link settle} or {@link drain}.
   */
  async run(options: PoolTransactionOptions): Promise<TransactionResult> {
    this.runner.assertUsable();
    const timings: PhaseTimings = { create: NaN, start: NaN, run: NaN, remove: NaN, acquire: NaN, exec: NaN, total: NaN };
    const collector = new OutputCollector(false, options.collect ?? true, options.onOutput);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const t0 = performance.now();
    let status: TransactionStatus = 'exited';
    let exitCode: number | null = null;
    let error: string | undefined;
    let id = '';
    if (options.signal?.aborted) {
      timings.total = 0;
      return { status: 'cancelled', exitCode, stdout: '', stderr: '', timings, containerId: '', removed: true, mode: 'warm' };
    }
    let stopReason: 'timeout' | 'cancelled' | undefined;
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    const release = () => {
      if (id && !released) {
        released = true;
        this.removeInBackground(id); // force removal also kills a running exec
      }
    };
    const stop = (reason: 'timeout' | 'cancelled') => {
      if (stopReason) return;
      stopReason = reason;
      release();
    };
    const onAbort = () => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (let attempt = 0; ; attempt++) {
        id = await this.acquire(options.signal);
        released = false;
        timings.acquire = performance.now() - t0;
        if (stopReason) break;
        const t1 = performance.now();
        if (timeoutMs > 0 && !timer) timer = setTimeout(() => stop('timeout'), timeoutMs);
        let exec: Docker.Exec;
        try {
          exec = await this.docker.getContainer(id).exec({
            Cmd: options.cmd,
            Env: options.env,
            WorkingDir: options.workingDir,
            AttachStdout: true,
            AttachStderr: true,
            Tty: false,
          });
        } catch (err) {
          // An idle container that died (409 not running / 404 gone): discard it, take another.
          const s = statusOf(err);
          release();
          id = '';
          if ((s === 409 || s === 404) && attempt < 3 && !stopReason) continue;
          throw err;
        }
        const stream = await exec.start({ hijack: true, stdin: false });
        let drained = false;
        const output = drain(stream, collector).then(
          () => void (drained = true),
          (err) => {
            drained = true;
            if (!stopReason) throw err;
          },
        );
        // A background process started by the command (`cmd &`) inherits the exec's output and
        // keeps the stream open after the command itself exited (unlike a cold container, whose
        // exit kills everything). So also watch the exec's state, with backoff.
        const exited = (async (): Promise<number | null | undefined> => {
          for (let delay = 100; !drained && !stopReason; delay = Math.min(delay * 2, 1000)) {
            await sleep(delay);
            if (drained || stopReason) break;
            const info = await exec.inspect().catch(() => undefined);
            if (info && !info.Running) return typeof info.ExitCode === 'number' ? info.ExitCode : null;
          }
          return undefined;
        })();
        await Promise.race([output, exited]);
        if (!drained && !stopReason) {
          // The command exited with its output still held open by a leftover process: take what
          // arrived within a short grace, then stop reading (the container is destroyed anyway).
          await Promise.race([output.catch(() => undefined), sleep(250)]);
          (stream as unknown as { destroy?: () => void }).destroy?.();
          exitCode = (await exited) ?? null;
        } else {
          await output;
          if (!stopReason) exitCode = await exitCodeOf(exec);
        }
        timings.exec = timings.run = performance.now() - t1;
        break;
      }
      if (stopReason) {
        status = stopReason;
        if (stopReason === 'timeout') error = `timed out after ${timeoutMs} ms; container killed`;
      }
    } catch (err) {
      if ((err as { cancelled?: boolean }).cancelled || stopReason) {
        status = stopReason ?? 'cancelled';
      } else {
        status = 'failed';
        error = err instanceof Error && !statusOf(err) ? err.message : engineMessage(err);
      }
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      timings.total = performance.now() - t0;
      release();
    }
    const text = collector.finish();
    return { status, exitCode, stdout: text.stdout, stderr: text.stderr, timings, containerId: id, removed: id === '', error, mode: 'warm' };
  }

  /** Wait for the background removals started so far. */
  async settle(): Promise<void> {
    while (this.pendingRemovals.size > 0) await Promise.all([...this.pendingRemovals]);
  }

  /**
   * Stop refilling and remove every container of this pool (idle, being prepared, used). Pending
   * transactions waiting for a container fail. Never throws.
   */
  async drain(): Promise<void> {
    this.draining = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(Object.assign(new Error('The warm pool was drained.'), { cancelled: true }));
    for (const id of this.idle.splice(0)) this.removeInBackground(id);
    while (this.preparing > 0) await sleep(20);
    await this.settle();
  }
}

/**
 * Exit code of a finished exec. The exec's stream can end a moment before the engine records the
 * exit, so poll briefly while it still says Running.
 * @returns the exit code, or null when the engine never reported one (within ~5 s).
 */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let i = 0; i < 500; i++) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
    await sleep(10);
  }
  return null;
}
