/**
 * Throwaway-container transactions: one command in one fresh container, always removed.
 *
 * A transaction is create → attach → start → collect output → wait → remove. The attach is made
 * before start so no output of a fast command is lost; the exit is observed with
 * `wait?condition=not-running` after start, which cannot miss a fast exit because we never use
 * auto-remove: the exited container stays until we remove it ourselves (a 404 from wait therefore
 * only means someone else removed it — treated as finished, exit code unknown).
 *
 * Nothing is left behind: every container carries the throwaway labels (see `core/labels.ts`), is
 * tracked in {@link TransactionRunner.live} from the moment it exists, and is force-removed in a
 * `finally` path — after a normal exit, a failure, a cancel (AbortSignal), a timeout (kill, then
 * remove) and on {@link TransactionRunner.dispose} (extension deactivation, CLI exit). Containers
 * of a crashed owner are removed by the sweep (`engine/sweep.ts`).
 *
 * No `vscode` import: the CLI and the overhead experiment reuse this module.
 */
import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import { throwawayLabels, type OwnerIdentity, type ThrowawayKind } from '../core/labels';
import { OutputCollector, drain } from './containerOutput';
import type { StreamName } from './demux';
import { engineMessage, statusOf } from './engineErrors';
import { currentOwner } from './owner';
import { hostConfigFor, networkDisabledFor, type SecurityOptions } from './security';

/** Default per-transaction timeout: 60 000 ms. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** How a transaction ended. */
export type TransactionStatus =
  /** The command ran to completion (any exit code). */
  | 'exited'
  /** Killed after its timeout. */
  | 'timeout'
  /** Cancelled through its AbortSignal. */
  | 'cancelled'
  /** The engine refused or failed (bad image, engine gone…); see `error`. */
  | 'failed';

/**
 * Phase durations in milliseconds (`performance.now()` deltas). A phase that did not happen is
 * NaN. For cold transactions `acquire` and `exec` are NaN; for warm-pool transactions `create` and
 * `start` are NaN (that work was done ahead of time, reported by the pool as refill work).
 */
export interface PhaseTimings {
  /** POST /containers/create (includes the attach request for cold transactions). */
  create: number;
  /** POST /containers/{id}/start. */
  start: number;
  /** From the container running until its exit is seen and all output is read. */
  run: number;
  /** DELETE /containers/{id}?force=1. */
  remove: number;
  /** Warm pool: waiting for an idle container. */
  acquire: number;
  /** Warm pool: command sent until its exit code is known (attached: in-band end markers; exec fallback: exec create + start + inspect); equal to `run`. */
  exec: number;
  /** Whole transaction as the caller saw it (for the warm pool: excluding background removal). */
  total: number;
}

/** Result of one transaction. `exitCode` is null when the command never finished normally. */
export interface TransactionResult {
  status: TransactionStatus;
  exitCode: number | null;
  /** Collected stdout, UTF-8 decoded ('' when `collect` is false). For TTY: all output. */
  stdout: string;
  /** Collected stderr ('' for TTY containers). */
  stderr: string;
  timings: PhaseTimings;
  /** Container id ('' when create failed). */
  containerId: string;
  /** True when the container is confirmed gone. */
  removed: boolean;
  /** Human-readable reason for status 'failed' (or a removal problem). */
  error?: string;
  /** 'cold' = fresh container created for this transaction, 'warm' = taken from a warm pool. */
  mode: 'cold' | 'warm';
}

/** Options of one transaction. */
export interface TransactionOptions {
  /** Image reference (name:tag or id). */
  image: string;
  /** Command and arguments (no shell unless you pass one, e.g. ['sh', '-c', '…']). */
  cmd: string[];
  /** Kill and remove after this many ms (default {@link DEFAULT_TIMEOUT_MS}; 0 = no timeout). */
  timeoutMs?: number;
  /** Abort to cancel: the container is killed and removed; status 'cancelled'. */
  signal?: AbortSignal;
  /** Allocate a TTY (output is raw, stdout only). Default false. */
  tty?: boolean;
  /** Environment, `NAME=value` entries. */
  env?: string[];
  /** Working directory in the container. */
  workingDir?: string;
  /** Overrides of the secure defaults. */
  security?: Partial<SecurityOptions>;
  /** Called with output bytes as they arrive (streaming; bytes are exact, not re-encoded). */
  onOutput?: (stream: StreamName, bytes: Buffer) => void;
  /** Keep the output in the result (default true). */
  collect?: boolean;
}

function nanTimings(): PhaseTimings {
  return { create: NaN, start: NaN, run: NaN, remove: NaN, acquire: NaN, exec: NaN, total: NaN };
}

/** Turn a create error into an actionable message. */
function createErrorMessage(image: string, err: unknown): string {
  const msg = engineMessage(err);
  if (statusOf(err) === 404 && /image/i.test(msg)) {
    return `Image "${image}" is not on the engine (${msg}). Build it or pull it first, then run the transaction again.`;
  }
  return `Could not create a container from "${image}": ${msg}`;
}

/**
 * Force-remove a container (kills it if running; anonymous volumes too). Idempotent: 404 counts
 * as removed; a 409 "removal already in progress" waits until the container is gone.
 * @returns true when the container is gone.
 * @throws the engine error when removal failed for another reason (engine unreachable…).
 */
export async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  const c = docker.getContainer(id);
  for (let attempt = 0; ; attempt++) {
    try {
      await c.remove({ force: true, v: true });
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return true;
      if (status === 409 && attempt < 50) {
        // "removal of container … is already in progress": wait for the other remover.
        try {
          await c.wait({ condition: 'removed' });
        } catch (waitErr) {
          if (statusOf(waitErr) === 404) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        continue;
      }
      throw err;
    }
  }
}

/** Kill a container, ignoring "not running" (409) and "gone" (404). */
async function killQuietly(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).kill();
  } catch (err) {
    const s = statusOf(err);
    if (s !== 404 && s !== 409) throw err;
  }
}
/** Resolve after `ms`, or when `promise` settles (whichever first); never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    promise.then(
      () => (clearTimeout(t), resolve()),
      () => (clearTimeout(t), resolve()),
    );
  });
}

/**
 * Runs transactions for one owner (session) and tracks every container it has created until it is
 * removed. One runner per extension host window / CLI process; share it between features.
 */
export class TransactionRunner {
  /** Ids of containers created and not yet confirmed removed. */
  private readonly liveIds = new Set<string>();
  private disposed = false;
  /** Aborted by dispose(): in-flight transactions stop as 'cancelled'. */
  private readonly disposal = new AbortController();
  /** The owner identity written into every container's labels. */
  readonly owner: OwnerIdentity;

  /** Extra labels added to every container (e.g. `io.container-lineage.test=<suite>` in tests). */
  private readonly extraLabels: Record<string, string>;

  /**
   * @param docker the engine client (from `EngineConnection.docker()`).
   * @param options.owner session identity (default: this process with a fresh session id).
   * @param options.labels extra labels for every container this runner (and pools/shells using it) creates.
   */
  constructor(
    /** The engine client this runner (and pools/shells built on it) uses. */
    readonly docker: Docker,
    options: { owner?: OwnerIdentity; labels?: Record<string, string> } = {},
  ) {
    this.owner = options.owner ?? currentOwner();
    this.extraLabels = { ...options.labels };
  }

  /** Containers created by this runner and not yet removed (ids). */
  get live(): readonly string[] {
    return [...this.liveIds];
  }

  /** Labels for a new container of this runner. */
  labels(kind: ThrowawayKind, pool?: string): Record<string, string> {
    return { ...this.extraLabels, ...throwawayLabels(this.owner, kind, new Date(), pool) };
  }

  /** Register a container created elsewhere (pool, shell) so `dispose()` removes it. */
  track(id: string): void {
    this.liveIds.add(id);
  }

  /**
   * Remove a tracked container now. Never throws: a failure is returned as a message and the id
   * stays tracked (dispose or the next sweep retries).
   * @returns undefined when removed, else the reason.
   */
  async remove(id: string): Promise<string | undefined> {
    try {
      await removeContainer(this.docker, id);
      this.liveIds.delete(id);
      return undefined;
    } catch (err) {
      return `container ${id.slice(0, 12)} could not be removed: ${engineMessage(err)}`;
    }
  }

  /** @throws Error after {@link dispose}. */
  assertUsable(): void {
    if (this.disposed) throw new Error('The transaction runner was disposed (extension deactivating or CLI exiting).');
  }

  /**
   * Run one transaction in a fresh container. Never throws for engine or command failures (they
   * are reported in the result: status 'failed' + `error`, 'timeout', 'cancelled'); throws only
   * after {@link dispose}.
   */
  async run(options: TransactionOptions): Promise<TransactionResult> {
    this.assertUsable();
    const docker = this.docker;
    const timings = nanTimings();
    const tty = options.tty ?? false;
    const collector = new OutputCollector(tty, options.collect ?? true, options.onOutput);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signal = options.signal;
    const t0 = performance.now();
    let status: TransactionStatus = 'exited';
    let exitCode: number | null = null;
    let error: string | undefined;
    let id = '';
    let stopReason: 'timeout' | 'cancelled' | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;

    const body = async (): Promise<void> => {
      if (signal?.aborted) {
        status = 'cancelled';
        return;
      }
      let container: Docker.Container;
      try {
        container = await docker.createContainer({
          Image: options.image,
          Cmd: options.cmd,
          Env: options.env,
          WorkingDir: options.workingDir,
          Tty: tty,
          AttachStdout: true,
          AttachStderr: true,
          OpenStdin: false,
          Labels: this.labels('transaction'),
          ...(networkDisabledFor(options.security) ? { NetworkDisabled: true } : {}),
          HostConfig: hostConfigFor(options.security),
        });
      } catch (err) {
        status = 'failed';
        error = createErrorMessage(options.image, err);
        return;
      }
      id = container.id;
      this.liveIds.add(id);
      // Attach before start: every byte the command writes is captured, however fast it exits.
      const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as NodeJS.ReadableStream;
      const destroyStream = () => (stream as unknown as { destroy?: () => void }).destroy?.();
      const output = drain(stream, collector);
      output.catch(() => undefined); // awaited (bounded) below
      timings.create = performance.now() - t0;

      const stop = (reason: 'timeout' | 'cancelled') => {
        if (stopReason) return;
        stopReason = reason;
        void killQuietly(docker, id).catch(() => undefined);
      };
      onAbort = () => stop('cancelled');
      this.disposal.signal.addEventListener('abort', onAbort, { once: true });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted || this.disposal.signal.aborted) {
        destroyStream();
        status = 'cancelled';
        return;
      }

      const t1 = performance.now();
      await container.start();
      const t2 = performance.now();
      timings.start = t2 - t1;
      if (timeoutMs > 0) timer = setTimeout(() => stop('timeout'), timeoutMs);
      try {
        const waited = (await container.wait({ condition: 'not-running' })) as { StatusCode?: number };
        exitCode = typeof waited.StatusCode === 'number' ? waited.StatusCode : null;
      } catch (err) {
        if (statusOf(err) !== 404) throw err; // 404 after start: finished (removed by someone else)
      }
      // The attach stream ends when the container's output closes; bound the wait so a stuck
      // connection cannot hold the transaction.
      await settleWithin(output, 5000);
      destroyStream();
      timings.run = performance.now() - t2;
      if (stopReason) {
        status = stopReason;
        if (stopReason === 'timeout') error = `timed out after ${timeoutMs} ms; container killed`;
      }
    };

    let removed = true;
    try {
      await body();
    } catch (err) {
      status = stopReason ?? 'failed';
      if (!stopReason) error = engineMessage(err);
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) {
        signal?.removeEventListener('abort', onAbort);
        this.disposal.signal.removeEventListener('abort', onAbort);
      }
      if (id) {
        const t3 = performance.now();
        const problem = await this.remove(id);
        timings.remove = performance.now() - t3;
        removed = problem === undefined;
        if (problem) error = error ? `${error}; ${problem}` : problem;
      }
      timings.total = performance.now() - t0;
    }
    const text = collector.finish();
    return { status, exitCode, stdout: text.stdout, stderr: text.stderr, timings, containerId: id, removed, error, mode: 'cold' };
  }

  /**
   * Remove every container this runner still tracks (kill + remove, in parallel) and refuse new
   * transactions. Safe to call more than once; never throws.
   * @returns messages for containers that could not be removed (the next sweep retries them).
   */
  async dispose(): Promise<string[]> {
    this.disposed = true;
    this.disposal.abort();
    const problems = await Promise.all([...this.liveIds].map((id) => this.remove(id)));
    return problems.filter((p): p is string => p !== undefined);
  }
}

/** An image a transaction can run on, for pickers. */
export interface ImageChoice {
  /** Reference to pass as `image`: one of the image's tags, or the image id for untagged images. */
  reference: string;
  id: string;
  tags: string[];
  /** Bytes. */
  size: number;
}

/**
 * Local images as choices for a picker: one choice per tag (an image with several tags can be
 * picked by any of them, as `docker run` takes any), untagged images by id; tagged first, by tag.
 * @throws the engine error when the list fails.
 */
export async function listImageChoices(docker: Docker): Promise<ImageChoice[]> {
  const list = await docker.listImages();
  const choices = list.flatMap((i) => {
    const tags = (i.RepoTags ?? []).filter((t) => t && t !== '<none>:<none>');
    return (tags.length > 0 ? tags : [i.Id]).map((reference) => ({ reference, id: i.Id, tags, size: i.Size ?? 0 }));
  });
  return choices.sort((a, b) => Number(b.tags.length > 0) - Number(a.tags.length > 0) || a.reference.localeCompare(b.reference));
}
