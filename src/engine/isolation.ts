/**
 * Runs the isolation check (`core/isolation.ts`) against the engine: each transaction of the
 * sequence is a cold throwaway container or a warm-pool container. No `vscode` import.
 */
import { runIsolationCheck, type IsolationReport, type IsolationStep } from '../core/isolation';
import { WarmPool } from './pool';
import type { SecurityOptions } from './security';
import type { TransactionResult, TransactionRunner } from './transaction';

/** Options of {@link checkIsolation}. */
export interface IsolationCheckOptions {
  image: string;
  /** Transactions in the sequence (≥ 2; default 20). */
  count?: number;
  /** MiB of memory each transaction leaves in /dev/shm (default 16). */
  fillMiB?: number;
  /** Run through a warm pool of this size instead of cold containers (0 = cold). */
  poolSize?: number;
  security?: Partial<SecurityOptions>;
  /** Per-transaction timeout in ms (default 60 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onStep?: (step: IsolationStep) => void;
}

/** Convert a transaction result to what the isolation check reads. */
function asRunOutput(r: TransactionResult) {
  return {
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    error: r.status === 'exited' ? undefined : (r.error ?? r.status),
  };
}

/**
 * Run the isolation check with fresh containers (cold, or one warm-pool container per transaction).
 * Every container is removed before this resolves.
 * @throws RangeError when count < 2; Error when the pool cannot prepare containers.
 */
export async function checkIsolation(runner: TransactionRunner, options: IsolationCheckOptions): Promise<IsolationReport> {
  const pool = options.poolSize ? new WarmPool(runner, { image: options.image, size: options.poolSize, security: options.security }) : undefined;
  try {
    return await runIsolationCheck(
      async (script) => {
        const common = { cmd: ['sh', '-c', script], timeoutMs: options.timeoutMs, signal: options.signal };
        const r = pool ? await pool.run(common) : await runner.run({ ...common, image: options.image, security: options.security });
        return asRunOutput(r);
      },
      {
        count: options.count ?? 20,
        fillMiB: options.fillMiB,
        mode: pool ? `warm-pool (K=${options.poolSize})` : 'cold',
        image: options.image,
        signal: options.signal,
        onStep: options.onStep,
      },
    );
  } finally {
    await pool?.drain();
  }
}
