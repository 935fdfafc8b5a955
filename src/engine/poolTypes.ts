/** Option and statistics shapes of the warm pool (`pool.ts`). No `vscode` import. */
import type { SecurityOptions } from './security';
import type { TransactionOptions } from './transaction';

/** Options of a warm pool. */
export interface WarmPoolOptions {
  /** Image reference. */
  image: string;
  /** Number of idle containers kept ready (K ≥ 1). */
  size: number;
  /** Overrides of the secure defaults (same as cold transactions). */
  security?: Partial<SecurityOptions>;
  /** 'attached' (default; falls back to exec when the image has no `sh`) or 'exec'. */
  via?: 'attached' | 'exec';
  /** Command that keeps an idle exec-mode container alive (default `sleep 2147483647`). */
  idleCmd?: string[];
  /** Drain the pool after this many ms without a transaction (0/absent = never). */
  idleDrainMs?: number;
  /** Called after an idle drain finished (every container removed). */
  onIdleDrain?: () => void;
  /** Told about background failures (e.g. the image vanished). */
  onError?: (message: string) => void;
}

/** Background work of the pool so far (durations in ms). */
export interface RefillStats {
  /** Containers created and started ahead of time. */
  created: number;
  /** create (+ attach) + start duration of each prepared container (ms). */
  prepareMs: number[];
  /** For each entry of `prepareMs`: how many preparations were in flight when it began (1 = alone). */
  prepareParallel: number[];
  /** Removal duration of each used container (ms), done after its transaction returned. */
  removeMs: number[];
  /** Transactions that found an idle container. */
  hits: number;
  /** Transactions that waited for a container to be created and started; their waits (ms). */
  missWaitMs: number[];
  /** Background failures (messages). */
  errors: string[];
}

/** A transaction run in a pool container (no image/tty/security: those are the pool's). */
export type PoolTransactionOptions = Omit<TransactionOptions, 'image' | 'tty' | 'security'>;
