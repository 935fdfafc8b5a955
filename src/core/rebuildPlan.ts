/**
 * Rebuild Descendants, as plain logic: which images to rebuild after a base changed, in which
 * order, and what a failure stops. No engine, no `vscode`; src/engine/rebuild.ts runs the plan.
 *
 * Plan for a target image T (usually the new version of a rebuilt base):
 *  - every stale tagged image whose staleness chain passes through T (its root cause is T, or a
 *    recorded base along the chain is T): these are T's stale descendants;
 *  - the images found in the lineage tree under those images, or under former versions of T (the
 *    recorded bases of T's stale children, earlier recipe builds of T's tags), that have no known
 *    base (no own label, no recipe): listed as "cannot rebuild: unknown recipe", never rebuilt from
 *    a guessed Dockerfile, and nothing below them is planned.
 * Each step depends on the step of the image it is built on; steps are in topological order
 * (parents first). A stale image without a recipe is skipped, and so is everything built on it.
 * At run time a failure skips its own subtree; independent siblings go on.
 */
import { bestTag, type ImageRecord } from './lineage';
import { recipeForImage, tagKey, type Recipe, type RecipeBook } from './recipes';
import type { StaleImage, StaleModel } from './staleness';

/** Why a step is not rebuilt, for people ("cannot rebuild: unknown recipe"). */
export const UNKNOWN_RECIPE = 'cannot rebuild: unknown recipe';

/** One image of the plan. */
export interface PlanStep {
  /** Position in the plan (0-based; the n of "n/N" is index + 1). */
  readonly index: number;
  readonly image: ImageRecord;
  /** Its best tag (for messages). */
  readonly label: string;
  /** The tags the rebuilt image takes over (the image's tags now). */
  readonly tags: readonly string[];
  readonly recipe?: Recipe;
  /** Why it is stale; undefined for an image without a known base (listed, not rebuilt). */
  readonly stale?: StaleImage;
  readonly action: 'rebuild' | 'skip';
  /** Why it is skipped (action `skip`). */
  readonly skipReason?: string;
  /** Index of the step of the image it is built on, when that image is in the plan. */
  readonly dependsOn?: number;
}

/** The plan for one target. */
export interface RebuildPlan {
  readonly target: ImageRecord;
  readonly steps: readonly PlanStep[];
  /** Steps with action `rebuild` (the N of "n/N"). */
  readonly rebuildCount: number;
}

interface Draft {
  image: ImageRecord;
  recipe?: Recipe;
  stale?: StaleImage;
  skipReason?: string;
  dep?: string;
}

/**
 * Plan the rebuild of `targetId`'s stale descendants.
 * @param model staleness of the local images (from the same image list and book).
 * @param book the recipe store's content.
 * @param targetId image ID of the target (any local image; a target with no stale descendant gives an empty plan).
 * @throws Error when `targetId` is not in the model.
 */
export function planRebuild(model: StaleModel, book: RecipeBook, targetId: string): RebuildPlan {
  const targetNode = model.forest.byId.get(targetId);
  if (!targetNode) throw new Error(`image ${targetId} is not a local image`);
  const target = targetNode.image;

  const passesThrough = (s: StaleImage): boolean => {
    for (let c: StaleImage | undefined = s; c; c = c.staleBase) if (c.rootCause.id === targetId || c.provenance.id === targetId) return true;
    return false;
  };
  const drafts = new Map<string, Draft>();
  for (const s of model.byId.values()) {
    if (s.image.id === targetId || !passesThrough(s)) continue;
    drafts.set(s.image.id, { image: s.image, stale: s, recipe: recipeForImage(book, s.image.id) });
  }
  // Dependencies among stale images: the recorded base, else what the base name resolves to now.
  for (const d of drafts.values()) {
    const p = d.stale!.provenance;
    const now = p.name ? model.resolve(p.name) : undefined;
    d.dep = drafts.has(p.id) ? p.id : now && drafts.has(now.id) ? now.id : undefined;
  }

  // Former versions of the target: recorded bases of its base-moved children, earlier builds of its tags.
  const former = new Set<string>();
  for (const d of drafts.values()) if (d.stale!.kind === 'base-moved' && d.stale!.rootCause.id === targetId) former.add(d.stale!.provenance.id);
  const targetTags = new Set(target.repoTags.map(tagKey));
  for (const r of Object.values(book.images)) if (r.tag && r.imageId !== targetId && targetTags.has(tagKey(r.tag))) former.add(r.imageId);
  // Images under those (in the lineage tree) without a known base: listed, never rebuilt.
  const unknownUnder = (parentId: string, dep: string | undefined): void => {
    for (const c of model.forest.byId.get(parentId)?.children ?? []) {
      if (c.dangling || drafts.has(c.image.id) || c.image.id === targetId || model.provenance.has(c.image.id)) continue;
      drafts.set(c.image.id, { image: c.image, skipReason: UNKNOWN_RECIPE, dep });
    }
  };
  for (const id of former) unknownUnder(id, undefined);
  for (const d of [...drafts.values()]) if (d.stale) unknownUnder(d.image.id, d.image.id);

  // Topological order (Kahn), ties by lineage depth, then age, then tag.
  const order: Draft[] = [];
  const children = new Map<string | undefined, Draft[]>();
  for (const d of drafts.values()) {
    const key = d.dep && drafts.has(d.dep) ? d.dep : undefined;
    let list = children.get(key);
    if (!list) children.set(key, (list = []));
    list.push(d);
  }
  const depth = (d: Draft) => model.forest.byId.get(d.image.id)?.depth ?? 0;
  const cmp = (a: Draft, b: Draft) =>
    depth(a) - depth(b) || (a.image.created || 0) - (b.image.created || 0) || (bestTag(a.image) < bestTag(b.image) ? -1 : 1);
  let ready = [...(children.get(undefined) ?? [])];
  while (ready.length) {
    ready.sort(cmp);
    const d = ready.shift()!;
    order.push(d);
    ready = ready.concat(children.get(d.image.id) ?? []);
  }

  const indexOf = new Map(order.map((d, i) => [d.image.id, i]));
  const steps: PlanStep[] = [];
  for (const [i, d] of order.entries()) {
    const dependsOn = d.dep !== undefined ? indexOf.get(d.dep) : undefined;
    const parentStep = dependsOn !== undefined ? steps[dependsOn] : undefined;
    let skipReason = d.skipReason;
    if (!skipReason && !d.recipe) skipReason = UNKNOWN_RECIPE;
    if (!skipReason && parentStep?.action === 'skip') skipReason = `not rebuilt: its base ${parentStep.label} is not rebuilt`;
    steps.push({
      index: i,
      image: d.image,
      label: bestTag(d.image),
      tags: d.image.repoTags,
      recipe: d.recipe,
      stale: d.stale,
      action: skipReason ? 'skip' : 'rebuild',
      ...(skipReason ? { skipReason } : {}),
      ...(dependsOn !== undefined ? { dependsOn } : {}),
    });
  }
  return { target, steps, rebuildCount: steps.filter((s) => s.action === 'rebuild').length };
}

/** What happened to one step. */
export type StepOutcome =
  | { status: 'rebuilt'; newId: string; durationMs: number }
  | { status: 'failed'; error: string; durationMs: number }
  | { status: 'skipped'; reason: string }
  | { status: 'cancelled' };

/**
 * The state of a plan being run: which steps may start, and what a success, a failure or a
 * cancel means for the others. Pure; the runner calls {@link ready}, {@link start} and
 * {@link finish} as builds start and end.
 */
export class RebuildProgress {
  private readonly outcomes = new Map<number, StepOutcome>();
  private readonly running = new Set<number>();

  constructor(readonly plan: RebuildPlan) {
    for (const s of plan.steps) if (s.action === 'skip') this.outcomes.set(s.index, { status: 'skipped', reason: s.skipReason! });
  }

  /** Rebuild steps that may start now: not started, and the step they depend on (if any) rebuilt. */
  ready(): PlanStep[] {
    return this.plan.steps.filter((s) => {
      if (s.action !== 'rebuild' || this.outcomes.has(s.index) || this.running.has(s.index)) return false;
      return s.dependsOn === undefined || this.outcomes.get(s.dependsOn)?.status === 'rebuilt';
    });
  }

  /** Rebuild steps started so far (the n of "n/N"). */
  started = 0;

  /** Mark a step as running. */
  start(index: number): void {
    this.running.add(index);
    this.started++;
  }

  /**
   * Record a finished step. A failure (or cancel) skips every step built on it, transitively.
   */
  finish(index: number, outcome: StepOutcome): void {
    this.running.delete(index);
    this.outcomes.set(index, outcome);
    if (outcome.status === 'rebuilt') return;
    const why = outcome.status === 'failed' ? 'failed' : 'was cancelled';
    const stack = [index];
    while (stack.length) {
      const parent = stack.pop()!;
      for (const s of this.plan.steps) {
        if (s.dependsOn !== parent || this.outcomes.has(s.index)) continue;
        this.outcomes.set(s.index, { status: 'skipped', reason: `not rebuilt: its base ${this.plan.steps[index]!.label} ${why}` });
        stack.push(s.index);
      }
    }
  }

  /** Mark every step that has not started as cancelled. */
  cancelRemaining(): void {
    for (const s of this.plan.steps) if (!this.outcomes.has(s.index) && !this.running.has(s.index)) this.outcomes.set(s.index, { status: 'cancelled' });
  }

  /** True when no step is running and none can start. */
  get done(): boolean {
    return this.running.size === 0 && this.ready().length === 0;
  }

  /** The outcome of a step, once it has one. */
  outcome(index: number): StepOutcome | undefined {
    return this.outcomes.get(index);
  }
}

/** One line of the summary. */
export interface SummaryEntry {
  tag: string;
  oldId: string;
  /** New image ID (rebuilt only). */
  newId?: string;
  status: StepOutcome['status'];
  /** Error (failed) or reason (skipped). */
  detail?: string;
}

/** The summary of a run (or of a dry run: every rebuild step `planned`). */
export interface RebuildSummary {
  target: { tag: string; id: string };
  rebuilt: SummaryEntry[];
  failed: SummaryEntry[];
  skipped: SummaryEntry[];
  cancelled: SummaryEntry[];
}

/** Summarise a finished run. Steps without an outcome count as cancelled. */
export function summariseRebuild(progress: RebuildProgress): RebuildSummary {
  const out: RebuildSummary = { target: { tag: bestTag(progress.plan.target), id: progress.plan.target.id }, rebuilt: [], failed: [], skipped: [], cancelled: [] };
  for (const s of progress.plan.steps) {
    const o = progress.outcome(s.index) ?? { status: 'cancelled' as const };
    const e: SummaryEntry = { tag: s.label, oldId: s.image.id, status: o.status };
    if (o.status === 'rebuilt') out.rebuilt.push({ ...e, newId: o.newId });
    else if (o.status === 'failed') out.failed.push({ ...e, detail: o.error });
    else if (o.status === 'skipped') out.skipped.push({ ...e, detail: o.reason });
    else out.cancelled.push(e);
  }
  return out;
}

/** Human lines of a plan ("1/2 child:1.0 ← lineage-sample/child/Dockerfile (classic)"), for dry runs. */
export function describePlan(plan: RebuildPlan): string[] {
  if (plan.steps.length === 0) return [`Nothing to rebuild: no stale descendant of ${bestTag(plan.target)}.`];
  const lines: string[] = [];
  let n = 0;
  for (const s of plan.steps) {
    if (s.action === 'rebuild') {
      const r = s.recipe!;
      const args = Object.entries(r.buildArgs).map(([k, v]) => `${k}=${v}`).join(' ');
      lines.push(`${++n}/${plan.rebuildCount} ${s.label}: ${r.dockerfile}${r.target ? ` --target ${r.target}` : ''}${args ? ` --build-arg ${args}` : ''} (context ${r.context}, ${r.builder} builder)`);
    } else {
      lines.push(`  - ${s.label}: ${s.skipReason}`);
    }
  }
  return lines;
}

/** Human lines of a summary, old → new IDs first, then failures, skips and cancels. */
export function describeSummary(summary: RebuildSummary): string[] {
  const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
  const lines: string[] = [];
  for (const e of summary.rebuilt) lines.push(`rebuilt ${e.tag}: ${short(e.oldId)} → ${short(e.newId!)}`);
  for (const e of summary.failed) lines.push(`FAILED ${e.tag} (${short(e.oldId)}): ${e.detail}`);
  for (const e of summary.skipped) lines.push(`skipped ${e.tag} (${short(e.oldId)}): ${e.detail}`);
  for (const e of summary.cancelled) lines.push(`cancelled ${e.tag} (${short(e.oldId)})`);
  if (lines.length === 0) lines.push(`Nothing to rebuild: no stale descendant of ${summary.target.tag}.`);
  return lines;
}
