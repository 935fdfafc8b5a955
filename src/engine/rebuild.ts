/**
 * Runs a Rebuild Descendants plan (core/rebuildPlan) on the engine: each step rebuilt from its
 * recipe (Dockerfile read from disk, context, target, build args, labels, network, builder)
 * through {@link buildWithProvenance}, so the new image gets fresh base labels and a recipe; the
 * image's tags move to the new image only after its own build succeeded. Independent steps run
 * side by side up to `concurrency`; a failure skips its own subtree; cancelling aborts the
 * running builds (no tag is moved) and starts nothing more. Shared by the extension and the CLI.
 */
import type Docker from 'dockerode';
import { RebuildProgress, summariseRebuild, type PlanStep, type RebuildPlan, type RebuildSummary, type StepOutcome } from '../core/rebuildPlan';
import type { RecipeStore } from '../store/recipeStore';
import { DOCKER_DIALECT, type EngineDialect } from '../core/dialect';
import type { ImageRecord } from '../core/lineage';
import type { NameRules } from '../core/reference';
import type { RecipeBook } from '../core/recipes';
import { computeStaleness, type StaleModel } from '../core/staleness';
import { ImageCatalog, tagImage } from './images';
import { buildWithProvenance } from './provenanceBuild';

/** Options of {@link runRebuild}. */
export interface RebuildRunOptions {
  /** Where recipes are read from (already in the plan) and the new ones written. */
  store: RecipeStore;
  /** How the engine looks up names without a registry (core/dialect); Docker's when undefined. */
  names?: NameRules;
  /** Builds in flight at most (integer ≥ 1). Default 2. */
  concurrency?: number;
  /** Aborts running builds and stops the run. */
  signal?: AbortSignal;
  /** A rebuild step starts: `n` of `total` (1-based, in start order). */
  onStart?: (step: PlanStep, n: number, total: number) => void;
  /** A step ended (rebuilt, failed, or skipped because its base failed). */
  onEnd?: (step: PlanStep, outcome: StepOutcome) => void;
  /** Build output of a step, as it arrives. */
  onOutput?: (step: PlanStep, text: string) => void;
}

/** Outcome of {@link runRebuild}. */
export interface RebuildRun {
  progress: RebuildProgress;
  summary: RebuildSummary;
  /** True when the signal stopped the run. */
  cancelled: boolean;
  /** Images the failed builds' steps left as build cache (short IDs, see engine/builders/types.ts). */
  stepImages: string[];
}

async function rebuildStep(docker: Docker, step: PlanStep, options: RebuildRunOptions): Promise<StepOutcome & { stepImages: string[] }> {
  const r = step.recipe!;
  const [first, ...others] = step.tags;
  const result = await buildWithProvenance(
    docker,
    {
      contextDir: r.context,
      dockerfilePath: r.dockerfile,
      target: r.target,
      buildArgs: r.buildArgs,
      labels: r.labels,
      networkMode: r.network,
      builder: r.builder,
      names: options.names,
      tag: first,
      signal: options.signal,
      // the builder's output lines, as text (each with its newline)
      onProgress: (e) => {
        if (e.kind === 'output') options.onOutput?.(step, `${e.line}\n`);
      },
    },
    options.store,
  );
  if (result.cancelled) return { status: 'cancelled', stepImages: result.stepImages };
  if (!result.ok) return { status: 'failed', error: result.error ?? 'build failed', durationMs: result.durations.totalMs, stepImages: result.stepImages };
  try {
    for (const t of others) await tagImage(docker, result.imageId!, t);
  } catch (err) {
    return { status: 'failed', error: `built ${result.imageId} but could not move a tag: ${(err as Error).message}`, durationMs: result.durations.totalMs, stepImages: [] };
  }
  return { status: 'rebuilt', newId: result.imageId!, durationMs: result.durations.totalMs, stepImages: [] };
}

/**
 * Run `plan`. Never throws for a failed build (it is in the summary).
 * @throws RangeError for a bad concurrency.
 */
export async function runRebuild(docker: Docker, plan: RebuildPlan, options: RebuildRunOptions): Promise<RebuildRun> {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const progress = new RebuildProgress(plan);
  const stepImages: string[] = [];
  const running = new Set<Promise<void>>();
  const ended = new Set<number>();
  const reportEnds = () => {
    for (const s of plan.steps) {
      const o = progress.outcome(s.index);
      if (o && !ended.has(s.index) && s.action === 'rebuild') {
        ended.add(s.index);
        options.onEnd?.(s, o);
      }
    }
  };
  for (;;) {
    if (!options.signal?.aborted) {
      for (const step of progress.ready()) {
        if (running.size >= concurrency) break;
        progress.start(step.index);
        options.onStart?.(step, progress.started, plan.rebuildCount);
        const p: Promise<void> = rebuildStep(docker, step, options).then(
          ({ stepImages: left, ...outcome }) => {
            stepImages.push(...left);
            progress.finish(step.index, outcome as StepOutcome);
          },
          (err: unknown) => progress.finish(step.index, { status: 'failed', error: err instanceof Error ? err.message : String(err), durationMs: 0 }),
        );
        const tracked = p.finally(() => {
          running.delete(tracked);
          reportEnds();
        });
        running.add(tracked);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  const cancelled = options.signal?.aborted === true;
  if (cancelled) progress.cancelRemaining();
  reportEnds();
  return { progress, summary: summariseRebuild(progress), cancelled, stepImages };
}

/**
 * The local images and their staleness now: 1 image list + the inspects (and histories) the
 * catalog does not have yet, and one read of the recipe store.
 * @throws the engine error of the list call.
 */
export async function loadStaleModel(docker: Docker, store: RecipeStore, dialect: EngineDialect = DOCKER_DIALECT, catalog: ImageCatalog = new ImageCatalog()): Promise<{ images: ImageRecord[]; book: RecipeBook; model: StaleModel }> {
  const images = await catalog.listImages(docker, dialect);
  const book = store.read();
  return { images, book, model: computeStaleness(images, book, dialect.names) };
}
