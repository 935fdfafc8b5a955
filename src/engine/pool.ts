/**
 * Warm pool: K containers of one image created and started ahead of time, each waiting for ONE
 * transaction, then destroyed (the isolation of a fresh container is kept; only the start latency
 * is hidden — the "stem cell" idea of Apache OpenWhisk).
 *
 * Two ways a pooled container waits (see `poolAttach.ts`, `poolExec.ts`):
 * - attached (default): created with OpenStdin/StdinOnce, attached before start, running a shell
 *   that reads its one command from stdin and writes an in-band end marker with the exit code on
 *   stdout and stderr. A transaction is one write and the reads up to the markers: no engine round trip.
 * - exec (fallback for images without `sh`, or `via: 'exec'`): the container idles on `idleCmd`
 *   (default `sleep 2147483647`) and the transaction is an exec.
 *
 * Latency the transaction sees (`timings.acquire` + `timings.exec` = `timings.total`) is reported
 * separately from the background work (creating/starting replacements, removing used containers:
 * {@link WarmPool.refillStats}). Pool containers carry the throwaway labels plus
 * `io.container-lineage.pool=<image>`; they are tracked by the owning {@link TransactionRunner}, so
 * its `dispose()` and the orphan sweep remove them too. With `idleDrainMs` the pool drains itself
 * when no transaction used it for that long. No `vscode` import.
 */
import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import { engineMessage, statusOf } from './engineErrors';
import { hostConfigFor, networkDisabledFor } from './security';
import { DEFAULT_TIMEOUT_MS, type PhaseTimings, type TransactionResult, type TransactionRunner, type TransactionStatus } from './transaction';
import { attachedCreateOptions, NoShellError, prepareAttached, runAttached, type AttachedContainer } from './poolAttach';
import { runExec } from './poolExec';
import type { PoolTransactionOptions, RefillStats, WarmPoolOptions } from './poolTypes';

export { exitCodeOf } from './poolExec';

export type { PoolTransactionOptions, RefillStats, WarmPoolOptions } from './poolTypes';

interface Pooled {
  id: string;
  /** Present for attached containers. */
  attached?: AttachedContainer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A warm pool for one image. Call {@link start} (or just {@link run}: it starts the pool), and
 * {@link drain} when done (the runner's `dispose()` is the safety net).
 */
export class WarmPool {
  private readonly idle: Pooled[] = [];
  private preparing = 0;
  private waiters: Array<{ resolve: (p: Pooled) => void; reject: (err: Error) => void }> = [];
  private draining = false;
  private lastError: string | undefined;
  private readonly pendingRemovals = new Set<Promise<void>>();
  private readonly stats: RefillStats = { created: 0, prepareMs: [], prepareParallel: [], removeMs: [], hits: 0, missWaitMs: [], errors: [] };
  private mode: 'attached' | 'exec';
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleDrainMs: number;
  /** When the pool last started or finished a transaction (Date.now() ms). */
  private lastActivityAt = Date.now();

  /**
   * @param runner owner of every container (labels, tracking, removal); its `docker` client is used.
   * @param options pool options.
   * @throws RangeError when size is not an integer ≥ 1 or idleDrainMs is negative.
   */
  constructor(
    /** Owner of this pool's containers. */
    readonly runner: TransactionRunner,
    readonly options: WarmPoolOptions,
  ) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a whole number ≥ 1, got ${options.size}`);
    if ((options.idleDrainMs ?? 0) < 0) throw new RangeError(`idle drain must be ≥ 0 ms, got ${options.idleDrainMs}`);
    this.mode = options.via ?? 'attached';
    this.idleDrainMs = options.idleDrainMs ?? 0;
  }

  /**
   * Change the idle drain of a running pool (a settings change): the pool drains once `ms` have
   * passed since its last transaction (at once when they already have); 0 = never.
   * @param ms idle time before the drain, ms.
   * @throws RangeError when ms is negative or not finite.
   */
  setIdleDrainMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`idle drain must be ≥ 0 ms, got ${ms}`);
    this.idleDrainMs = ms;
    this.armIdleDrain();
  }

  private get docker(): Docker {
    return this.runner.docker;
  }

  /** How transactions reach the containers now ('exec' after the fallback for an image without `sh`). */
  get via(): 'attached' | 'exec' {
    return this.mode;
  }

  /** Number of idle (ready) containers now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** True once drained (by {@link drain} or the idle drain): it runs no more transactions. */
  get drained(): boolean {
    return this.draining;
  }

  /** Copy of the background-work statistics. */
  refillStats(): RefillStats {
    const s = this.stats;
    return { ...s, prepareMs: [...s.prepareMs], prepareParallel: [...s.prepareParallel], removeMs: [...s.removeMs], missWaitMs: [...s.missWaitMs], errors: [...s.errors] };
  }

  /** Begin filling the pool in the background (idempotent). */
  start(): void {
    this.refill();
    if (!this.idleTimer) this.lastActivityAt = Date.now();
    this.armIdleDrain();
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

  private armIdleDrain(): void {
    const ms = this.idleDrainMs;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (ms <= 0 || this.draining || this.inFlight > 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.inFlight > 0 || this.draining) return;
      void this.drain().then(() => this.options.onIdleDrain?.());
    }, Math.max(0, this.lastActivityAt + ms - Date.now()));
    this.idleTimer.unref?.();
  }

  /** False once the owning runner was disposed (no container may be made for it any more). */
  private get runnerUsable(): boolean {
    try {
      this.runner.assertUsable();
      return true;
    } catch {
      return false;
    }
  }

  private refill(): void {
    if (!this.runnerUsable) return;
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

  /** Create + start one idle container (attached, or exec-mode); resolves false when that failed. */
  private async prepareOne(): Promise<boolean> {
    const t0 = performance.now();
    const parallel = this.preparing;
    let id = '';
    let pooled: Pooled;
    try {
      const labels = this.runner.labels('pool', this.options.image);
      const hostConfig = hostConfigFor(this.options.security);
      // network 'disabled': as cold transactions, no engine network sandbox at all.
      const netOff = networkDisabledFor(this.options.security) ? { NetworkDisabled: true } : {};
      if (this.mode === 'attached') {
        try {
          const create = { ...attachedCreateOptions(this.options.image, labels, hostConfig), ...netOff };
          const attached = await prepareAttached(this.docker, create, (x) => {
            id = x;
            this.runner.track(x);
          });
          pooled = { id, attached };
        } catch (err) {
          if (!(err instanceof NoShellError)) throw err;
          // No shell in the image: exec is the fallback (from now on for this pool).
          this.mode = 'exec';
          void this.runner.remove(id);
          id = '';
          return await this.prepareOne();
        }
      } else {
        const container = await this.docker.createContainer({ Image: this.options.image, Cmd: this.options.idleCmd ?? ['sleep', '2147483647'], Labels: labels, ...netOff, HostConfig: hostConfig });
        id = container.id;
        this.runner.track(id);
        await container.start();
        pooled = { id };
      }
      this.stats.created++;
      this.stats.prepareMs.push(performance.now() - t0);
      this.stats.prepareParallel.push(parallel);
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
    if (this.draining || !this.runnerUsable) {
      this.removeInBackground(pooled);
      return true;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(pooled);
    else this.offerIdle(pooled);
    return true;
  }

  /** Put a container into the idle list; an attached one that dies while idle is discarded. */
  private offerIdle(p: Pooled): void {
    this.idle.push(p);
    p.attached?.onGone(() => {
      const i = this.idle.indexOf(p);
      if (i < 0) return; // taken by a transaction meanwhile
      this.idle.splice(i, 1);
      this.removeInBackground(p);
      this.refill();
    });
  }

  /** Take an idle container, or wait for the next prepared one. */
  private acquire(signal?: AbortSignal): Promise<Pooled> {
    if (this.draining) return Promise.reject(new Error('The warm pool was drained.'));
    const found = this.idle.shift();
    const t0 = performance.now();
    const p =
      found !== undefined
        ? (this.stats.hits++, Promise.resolve(found))
        : new Promise<Pooled>((resolve, reject) => {
            const onAbort = () => {
              const i = this.waiters.indexOf(entry);
              if (i >= 0) this.waiters.splice(i, 1);
              reject(Object.assign(new Error('cancelled'), { cancelled: true }));
            };
            const entry = {
              resolve: (v: Pooled) => {
                signal?.removeEventListener('abort', onAbort);
                this.stats.missWaitMs.push(performance.now() - t0);
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

  private removeInBackground(p: Pooled): void {
    p.attached?.close();
    const t0 = performance.now();
    const r = this.runner.remove(p.id).then((problem) => {
      if (problem) this.stats.errors.push(problem);
      else this.stats.removeMs.push(performance.now() - t0);
    });
    this.pendingRemovals.add(r);
    void r.finally(() => this.pendingRemovals.delete(r));
  }

  /**
   * Run one transaction in a pool container (attached: write the command, read to the end
   * markers; exec fallback: an exec); the container is then destroyed in the background (never
   * reused). Never throws for engine/command failures (see the result's status); throws only when
   * the runner was disposed.
   * Timings: `acquire` (waiting for an idle container), `exec` = `run` (command sent until its exit
   * code is known), `total` = what the caller waited; `create`, `start`, `remove` are NaN here
   * (background work, see {@link refillStats}).
   * The result's `removed` is false: removal is pending; await {@link settle} or {@link drain}.
   */
  async run(options: PoolTransactionOptions): Promise<TransactionResult> {
    this.runner.assertUsable();
    const timings: PhaseTimings = { create: NaN, start: NaN, run: NaN, remove: NaN, acquire: NaN, exec: NaN, total: NaN };
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const t0 = performance.now();
    let status: TransactionStatus = 'exited';
    let exitCode: number | null = null;
    let error: string | undefined;
    let text = { stdout: '', stderr: '' };
    let current: Pooled | undefined;
    if (options.signal?.aborted) {
      timings.total = 0;
      return { status: 'cancelled', exitCode, stdout: '', stderr: '', timings, containerId: '', removed: true, mode: 'warm' };
    }
    this.inFlight++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const stopper = new AbortController();
    let stopReason: 'timeout' | 'cancelled' | undefined;
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    const release = () => {
      if (current && !released) {
        released = true;
        this.removeInBackground(current); // force removal also kills a running command
      }
    };
    const stop = (reason: 'timeout' | 'cancelled') => {
      if (stopReason) return;
      stopReason = reason;
      stopper.abort();
      release();
    };
    const onAbort = () => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (let attempt = 0; ; attempt++) {
        current = await this.acquire(options.signal);
        released = false;
        timings.acquire = performance.now() - t0;
        if (stopReason) break;
        const t1 = performance.now();
        if (timeoutMs > 0 && !timer) timer = setTimeout(() => stop('timeout'), timeoutMs);
        const common = { cmd: options.cmd, env: options.env, workingDir: options.workingDir, collect: options.collect, onOutput: options.onOutput, stop: stopper.signal };
        const outcome = current.attached ? await runAttached(this.docker, current.attached, common) : await runExec(this.docker, current.id, common);
        if (outcome.ended === 'retry' && attempt < 3 && !stopReason) {
          // An idle exec-mode container that died (409 not running / 404 gone): discard it, take another.
          release();
          current = undefined;
          continue;
        }
        if (outcome.ended === 'retry') throw new Error('warm pool containers keep dying before their transaction; see the engine log');
        exitCode = outcome.exitCode;
        text = { stdout: outcome.stdout, stderr: outcome.stderr };
        timings.exec = timings.run = performance.now() - t1;
        break;
      }
      if (stopReason) {
        status = stopReason;
        exitCode = null;
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
      this.inFlight--;
      this.lastActivityAt = Date.now();
      this.armIdleDrain();
    }
    return { status, exitCode, stdout: text.stdout, stderr: text.stderr, timings, containerId: current?.id ?? '', removed: !current, error, mode: 'warm' };
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
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(Object.assign(new Error('The warm pool was drained.'), { cancelled: true }));
    for (const p of this.idle.splice(0)) this.removeInBackground(p);
    while (this.preparing > 0) await sleep(20);
    await this.settle();
  }
}
