/**
 * `container-lineage rebuild IMAGE [--dry-run] [--json] [--concurrency N]`: rebuild the stale
 * descendants of IMAGE from the shared recipe store, parents first (same planner and runner as
 * the extension's Rebuild Descendants). Ctrl-C cancels: running builds are aborted, no tag moves.
 * Exit codes: 0 everything planned was rebuilt (or nothing to do; skipped images are listed),
 * 1 no engine, 2 bad usage or IMAGE not found, 3 a build failed, 130 cancelled.
 */
import { parseArgs } from 'node:util';
import { bestTag } from '../core/lineage';
import { describePlan, describeSummary, planRebuild, type RebuildPlan } from '../core/rebuildPlan';
import { loadStaleModel, runRebuild } from '../engine/rebuild';
import { RecipeStore } from '../store/recipeStore';
import { connectCli } from './connect';
import { abortOnSignals } from './throwaway-options';

const USAGE = `usage: container-lineage rebuild IMAGE [--dry-run] [--json] [--concurrency N]
  Rebuilds every stale descendant of IMAGE (a tag or full image ID) that has a recipe, parents
  first, each from its own Dockerfile, context, target, build args and builder; each tag moves only
  after its own build succeeded. A failure stops its own subtree; siblings go on.
  --dry-run          print the plan, build nothing
  --json             machine-readable output
  --concurrency N    independent builds at once (default 2)
Exit codes: 0 ok, 1 no engine, 2 bad usage or unknown IMAGE, 3 a build failed, 130 cancelled.
`;

/** The plan as JSON-ready data. */
export function planToJson(plan: RebuildPlan) {
  return {
    target: { tag: bestTag(plan.target), id: plan.target.id },
    rebuilds: plan.rebuildCount,
    steps: plan.steps.map((s) => ({
      tag: s.label,
      id: s.image.id,
      action: s.action,
      ...(s.skipReason ? { reason: s.skipReason } : {}),
      ...(s.dependsOn !== undefined ? { after: plan.steps[s.dependsOn]!.label } : {}),
      ...(s.recipe ? { recipe: { dockerfile: s.recipe.dockerfile, context: s.recipe.context, target: s.recipe.target ?? null, buildArgs: s.recipe.buildArgs, builder: s.recipe.builder } } : {}),
    })),
  };
}

/** Entry point of `container-lineage rebuild`. Returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let image: string;
  let values: { json?: boolean; 'dry-run'?: boolean; concurrency?: string; help?: boolean };
  let concurrency = 2;
  try {
    const parsed = parseArgs({
      args,
      options: { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    values = parsed.values;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new Error(parsed.positionals.length ? `one IMAGE, not ${parsed.positionals.length}` : 'IMAGE is required (the rebuilt base, e.g. lineage-sample/base:1.0)');
    image = parsed.positionals[0]!;
    if (values.concurrency !== undefined) {
      concurrency = Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency takes a whole number ≥ 1, not "${values.concurrency}"`);
    }
  } catch (e) {
    process.stderr.write(`container-lineage rebuild: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const engine = await connectCli('rebuild');
  if (!engine) return 1;
  const controller = new AbortController();
  const unhook = abortOnSignals(controller, err);
  try {
    const docker = engine.docker();
    const dialect = engine.dialect;
    const store = new RecipeStore(undefined, { warn: (m) => err(`container-lineage rebuild: warning: ${m}`) });
    const { model, book } = await loadStaleModel(docker, store, dialect);
    const target = model.resolve(image);
    if (!target) {
      err(`container-lineage rebuild: no local image ${image}: name a tag or full image ID that \`container-lineage tree\` lists.`);
      return 2;
    }
    const plan = planRebuild(model, book, target.id);
    if (values['dry-run']) {
      process.stdout.write(values.json ? JSON.stringify({ dryRun: true, plan: planToJson(plan) }, null, 2) + '\n' : describePlan(plan).join('\n') + '\n');
      return 0;
    }
    if (!values.json) for (const line of describePlan(plan)) err(`plan: ${line}`);
    const run = await runRebuild(docker, plan, {
      store,
      names: dialect.names,
      concurrency,
      signal: controller.signal,
      onStart: (s, n, total) => !values.json && err(`[${n}/${total}] rebuilding ${s.label} from ${s.recipe!.dockerfile}`),
      onEnd: (s, o) => !values.json && err(`${s.label}: ${o.status}${o.status === 'failed' ? `: ${o.error}` : o.status === 'skipped' ? `: ${o.reason}` : ''}`),
    });
    if (values.json) process.stdout.write(JSON.stringify({ dryRun: false, plan: planToJson(plan), summary: run.summary, cancelled: run.cancelled }, null, 2) + '\n');
    else process.stdout.write(describeSummary(run.summary).join('\n') + '\n');
    return run.cancelled ? 130 : run.summary.failed.length ? 3 : 0;
  } finally {
    unhook();
    engine.dispose();
  }
}
