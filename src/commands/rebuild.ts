/**
 * "Rebuild Descendants…" (an image's context menu, the palette, the stale FROM lens): rebuilds
 * every stale descendant of an image that has a recipe, parents first, through the shared
 * planner and runner (core/rebuildPlan, engine/rebuild). Asks first, showing the plan; a dry run
 * only shows it. Cancellable progress with "n/N image"; each step's build output goes to the log
 * channel; the summary (old → new IDs, failures, skips for lack of a recipe) opens as a read-only
 * document. Refused in an untrusted workspace (a rebuild runs the Dockerfiles' commands).
 */
import * as vscode from 'vscode';
import { bestTag } from '../core/lineage';
import { describePlan, describeSummary, planRebuild, type RebuildPlan, type RebuildSummary } from '../core/rebuildPlan';
import { loadStaleModel, runRebuild } from '../engine/rebuild';
import type { Services } from '../services';
import type { RecipeStore } from '../store/recipeStore';

export const REBUILD_DESCENDANTS_COMMAND = 'containerLineage.image.rebuildDescendants';
const SUMMARY_SCHEME = 'container-lineage-rebuild';
const CONCURRENCY_SETTING = 'rebuild.concurrency';

/** Optional arguments (tests, automation). */
export interface RebuildCommandOptions {
  /** Do not ask; do not open the summary document. */
  noPrompt?: boolean;
  /** Show the plan only. */
  dryRun?: boolean;
}

/** What the command returns (tests). */
export interface RebuildCommandResult {
  plan: RebuildPlan;
  summary?: RebuildSummary;
  cancelled?: boolean;
  /** URI of the plan or summary document, when one was opened. */
  document?: string;
}

/** The image ID in a command argument: a tree element, an ID or a reference. */
function targetOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const a = arg as { kind?: string; node?: { image?: { id?: string } } } | undefined;
  return a?.kind === 'image' ? a.node?.image?.id : undefined;
}

/** Register the command and its read-only summary documents. */
export function registerRebuildDescendants(services: Services, store: RecipeStore, afterRun: () => void): void {
  const { context, log } = services;
  const documents = new Map<string, string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  let count = 0;
  const openDocument = async (title: string, lines: string[]): Promise<string> => {
    const uri = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/${++count}/${title.replace(/[^\w.:-]+/g, '-')}.txt` });
    documents.set(uri.toString(), `${title}\n\n${lines.join('\n')}\n`);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true, preserveFocus: true });
    return uri.toString();
  };

  const run = async (arg: unknown, opts: RebuildCommandOptions): Promise<RebuildCommandResult | undefined> => {
    if (!vscode.workspace.isTrusted && !opts.dryRun) {
      void vscode.window.showErrorMessage('Rebuilding images runs the commands of their Dockerfiles: trust this workspace first, then run Rebuild Descendants again.');
      return undefined;
    }
    const docker = services.engine.docker();
    const dialect = services.engine.dialect;
    const { images, book, model } = await loadStaleModel(docker, store, dialect);
    let targetId = targetOf(arg);
    if (targetId !== undefined) targetId = model.resolve(targetId)?.id;
    if (targetId === undefined && arg !== undefined) {
      void vscode.window.showErrorMessage(`${String(targetOf(arg))} is not a local image any more: refresh the Images view and pick the image again.`);
      return undefined;
    }
    if (targetId === undefined) {
      const items = [...model.byRootCause].map(([id, list]) => ({
        label: bestTag(images.find((i) => i.id === id)!),
        description: `${list.length} stale descendant${list.length === 1 ? '' : 's'}: ${list.map((s) => bestTag(s.image)).join(', ')}`,
        id,
      }));
      if (items.length === 0) {
        void vscode.window.showInformationMessage('Nothing is stale: no image with a known base was built on a base that has since been rebuilt or re-tagged.');
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(items, { title: 'Rebuild Descendants', placeHolder: 'The rebuilt (or re-tagged) base whose stale descendants to rebuild' });
      if (!picked) return undefined;
      targetId = picked.id;
    }
    const plan = planRebuild(model, book, targetId);
    const targetTag = bestTag(plan.target);
    if (plan.steps.length === 0) {
      void vscode.window.showInformationMessage(`No stale descendants of ${targetTag}.`);
      return { plan };
    }
    const planLines = describePlan(plan);
    if (opts.dryRun || plan.rebuildCount === 0) {
      const document = opts.noPrompt ? undefined : await openDocument(`Rebuild Descendants of ${targetTag} (plan, nothing built)`, planLines);
      if (plan.rebuildCount === 0 && !opts.dryRun) void vscode.window.showWarningMessage(`None of the stale descendants of ${targetTag} can be rebuilt: none has a known recipe.`);
      return { plan, document };
    }
    if (!opts.noPrompt) {
      const go = `Rebuild ${plan.rebuildCount}`;
      const pick = await vscode.window.showWarningMessage(`Rebuild ${plan.rebuildCount} stale descendant${plan.rebuildCount === 1 ? '' : 's'} of ${targetTag}?`, { modal: true, detail: planLines.join('\n') }, go, 'Dry Run');
      if (pick === 'Dry Run') return { plan, document: await openDocument(`Rebuild Descendants of ${targetTag} (plan, nothing built)`, planLines) };
      if (pick !== go) return undefined;
    }
    log.info(`rebuild descendants of ${targetTag}:\n${planLines.join('\n')}`);
    const concurrency = Math.max(1, vscode.workspace.getConfiguration('containerLineage').get<number>(CONCURRENCY_SETTING, 2) || 1);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rebuilding descendants of ${targetTag}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        const partial = new Map<number, string>();
        try {
          return await runRebuild(docker, plan, {
            store,
            names: dialect.names,
            concurrency,
            signal: ac.signal,
            onStart: (s, n, total) => progress.report({ message: `${n}/${total} ${s.label}`, increment: 100 / total }),
            onEnd: (s, o) => log.info(`rebuild ${s.label}: ${o.status}${o.status === 'failed' ? `: ${o.error}` : o.status === 'skipped' ? `: ${o.reason}` : o.status === 'rebuilt' ? ` → ${o.newId}` : ''}`),
            onOutput: (s, text) => {
              const lines = ((partial.get(s.index) ?? '') + text).split('\n');
              partial.set(s.index, lines.pop()!);
              for (const l of lines) log.info(`[rebuild ${s.label}] ${l.replace(/\r$/, '')}`);
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    afterRun();
    await vscode.commands.executeCommand('containerLineage.images.refresh').then(undefined, () => undefined);
    const lines = [...describeSummary(result.summary), '', 'Plan:', ...planLines];
    const document = opts.noPrompt ? undefined : await openDocument(`Rebuild Descendants of ${targetTag}${result.cancelled ? ' (cancelled)' : ''}`, lines);
    const { rebuilt, failed, skipped } = result.summary;
    const text = `Rebuild Descendants of ${targetTag}: ${rebuilt.length} rebuilt${failed.length ? `, ${failed.length} failed` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}${result.cancelled ? ' (cancelled)' : ''}.`;
    if (failed.length) void vscode.window.showErrorMessage(text, 'Show Output').then((p) => p && log.show(true));
    else void vscode.window.showInformationMessage(text);
    return { plan, summary: result.summary, cancelled: result.cancelled, document };
  };

  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, { onDidChange: changed.event, provideTextDocumentContent: (uri) => documents.get(uri.toString()) ?? '' }),
    vscode.commands.registerCommand(REBUILD_DESCENDANTS_COMMAND, async (arg?: unknown, opts?: RebuildCommandOptions) => {
      try {
        return await run(arg, opts && !Array.isArray(opts) ? opts : {});
      } catch (err) {
        log.error(`${REBUILD_DESCENDANTS_COMMAND}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(`Rebuild Descendants failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }),
  );
}
