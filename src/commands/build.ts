/**
 * "Build Child Image from Active Dockerfile…": builds from the editor's current text (even
 * unsaved) with the Dockerfile's folder as build context, after asking for target stage, build
 * args and tag; the builder is chosen by `containerLineage.build.builder` (auto: BuildKit where
 * the engine has it) and named in the notification and the output. Progress: the current step
 * and n/N in a cancellable notification, the plain step output in the "Container Lineage: Build"
 * output channel. A failure is marked with an error diagnostic on its instruction (which follows
 * the instruction as the text changes); the new image is revealed in the Images view on success.
 * Refused in an untrusted workspace.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../services';
import { parseDockerfile, targetStage } from '../core/dockerfile';
import { builderLabel } from '../core/builderChoice';
import { deriveImageName } from '../core/tagname';
import { buildWithProvenance, type ProvenanceBuildResult } from '../engine/provenanceBuild';
import { RecipeStore } from '../store/recipeStore';
import { BuildDiagnostics } from './buildDiagnostics';
import { BUILD_COMMAND, isDockerfileDocument } from '../core/commandIds';
import { revealImageInTree } from '../views/reveal';
import { askBuildArgs, formatBuildArgs, pickContextFolder, pickTarget, resolveImageName, type BuildCommandOptions } from './buildPrompts';

export { resolveImageName, parseBuildArgs, type BuildCommandOptions } from './buildPrompts';

const LAST_TAG_KEY = 'containerLineage.build.lastTag';
const LAST_ARGS_KEY = 'containerLineage.build.lastArgs';
/** Name of the output channel that shows the build output. */
export const BUILD_OUTPUT_CHANNEL = 'Container Lineage: Build';

const short = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** Register the build command, its output channel and its diagnostics. */
export function registerBuild(services: Services): void {
  const { context, log } = services;
  const diagnostics = new BuildDiagnostics();
  const output = vscode.window.createOutputChannel(BUILD_OUTPUT_CHANNEL);
  context.subscriptions.push(diagnostics, output);
  // Every build records its base labels and, for a Dockerfile on disk, its recipe (Rebuild Descendants).
  const recipes = new RecipeStore(undefined, { warn: (m) => log.warn(m) });

  const run = async (arg?: unknown, opts: BuildCommandOptions = {}): Promise<ProvenanceBuildResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showErrorMessage(
        'Building an image runs the commands of this Dockerfile: trust this workspace first, then build again.',
        'Manage Workspace Trust',
      );
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    // The document: a URI from the explorer / lens, else the active editor.
    const uri = arg instanceof vscode.Uri ? arg : undefined;
    const doc = uri
      ? (vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri)))
      : vscode.window.activeTextEditor?.document;
    if (!doc || (!uri && !isDockerfileDocument(doc))) {
      void vscode.window.showErrorMessage('Open a Dockerfile in the editor (or right-click one in the Explorer) to build a child image from it.');
      return undefined;
    }
    const text = doc.getText();
    const name = basename(doc.uri.path);
    const key = doc.uri.toString();
    const state = context.workspaceState;
    const config = vscode.workspace.getConfiguration('containerLineage');
    let model = parseDockerfile(text);
    if (model.stages.length === 0) {
      void vscode.window.showErrorMessage(`${name} has no FROM instruction: nothing to build.`);
      return undefined;
    }
    const picked = await pickTarget(model, opts.target, opts.noPrompt);
    if (!picked) return undefined;
    const target = picked.target;
    const buildArgs = await askBuildArgs(model, target, opts.buildArgs, state.get<Record<string, Record<string, string>>>(LAST_ARGS_KEY, {})[key] ?? {}, opts.noPrompt);
    if (!buildArgs) return undefined;
    model = parseDockerfile(text, { buildArgs });
    const stage = targetStage(model, target);
    if (!stage) {
      void vscode.window.showErrorMessage(`No stage named "${target}" in ${name}.`);
      return undefined;
    }
    const unresolved = model.stages.find((s) => s.index <= stage.index && s.base.kind === 'unresolved');
    if (unresolved && unresolved.base.kind === 'unresolved') {
      void vscode.window.showErrorMessage(`The base of line ${unresolved.fromLine + 1} is unresolved (${unresolved.base.reason}). Build again and give the build arg a value.`);
      return undefined;
    }
    const contextFolder = await pickContextFolder(doc, opts.contextFolder, opts.noPrompt);
    if (!contextFolder) return undefined;
    const lastTags = state.get<Record<string, string>>(LAST_TAG_KEY, {});
    const tag = await resolveImageName(opts.tag, lastTags[key] ?? deriveImageName(basename(contextFolder)), opts.noPrompt, {
      title: 'Build child image: image name',
      prompt: `Tag for the image built from ${name}${target ? ` (stage ${target})` : ''}; the tag is applied only if the build succeeds.`,
    });
    if (tag === undefined) return undefined;

    let docker;
    try {
      docker = services.engine.docker();
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot build: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const engineState = services.engine.state;
    const builder = opts.builder ?? config.get<string>('build.builder', 'auto');
    log.info(`build ${name} → ${tag}${target ? ` (target ${target})` : ''}, context ${contextFolder}, builder setting ${builder}${Object.keys(buildArgs).length ? `, build args ${formatBuildArgs(buildArgs)}` : ''}`);
    output.appendLine(`=== ${new Date().toISOString()} build ${name} → ${tag}${target ? ` (target ${target})` : ''} ===`);
    if (opts.showOutput !== false) output.show(true);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Building ${tag}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        let reported = 0;
        let via = '';
        try {
          return await buildWithProvenance(docker, {
            contextDir: contextFolder,
            dockerfileText: text,
            dockerfilePath: doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined,
            names: services.engine.dialect.names,
            tag,
            target,
            buildArgs,
            labels: opts.labels,
            builder,
            engine: engineState.kind === 'connected' ? engineState.info : undefined,
            networkMode: config.get<string>('build.network', '') || undefined,
            signal: ac.signal,
            onProgress: (e) => {
              if (e.kind === 'output') {
                output.appendLine(e.line);
              } else if (e.kind === 'builder') {
                via = builderLabel(e.builder);
                progress.report({ message: `with ${via}` });
              } else {
                const pct = e.total > 0 ? Math.floor((e.done / e.total) * 100) : 0;
                progress.report({ message: `with ${via} · step ${Math.min(e.done + 1, e.total)}/${e.total}: ${short(e.name, 70)}`, increment: Math.max(0, pct - reported) });
                reported = Math.max(reported, pct);
              }
            },
          }, recipes);
        } finally {
          sub.dispose();
        }
      },
    );
    const by = builderLabel(result.builder);
    if (result.ok) {
      if (result.recipeError) log.warn(result.recipeError);
      diagnostics.clear(doc.uri);
      await state.update(LAST_TAG_KEY, { ...lastTags, [key]: tag });
      await state.update(LAST_ARGS_KEY, { ...state.get<Record<string, Record<string, string>>>(LAST_ARGS_KEY, {}), [key]: buildArgs });
      log.info(`built ${tag} = ${result.imageId} with ${by} in ${result.durations.totalMs} ms (${result.context?.files ?? 0} files, ${result.context?.bytes ?? 0} bytes of context, ${result.context?.excluded ?? 0} excluded)`);
      output.appendLine(`Built ${tag} = ${result.imageId} with ${by} in ${(result.durations.totalMs / 1000).toFixed(1)} s.`);
      void vscode.window.showInformationMessage(`Built ${tag} (${result.imageId?.slice(7, 19)}) with ${by}.`);
      await revealImageInTree(result.imageId!).catch((err: unknown) => log.warn(`reveal ${result.imageId}: ${String(err)}`));
      return result;
    }
    if (result.cancelled) {
      log.info(`build of ${tag} cancelled; no tag applied`);
      output.appendLine(`Build of ${tag} cancelled; no tag applied.`);
      void vscode.window.showInformationMessage(`Build of ${tag} cancelled; no tag applied.`);
      return result;
    }
    log.error(`build of ${tag} with ${by} failed: ${result.error}${result.engineError ? ` (engine: ${result.engineError})` : ''}`);
    output.appendLine(`Build of ${tag} failed${result.failedStep ? ` at ${result.failedStep}` : ''}: ${result.error}`);
    // Diagnostic on the failing instruction (the text sent is the document's text now).
    const range = result.failedRange ? diagnostics.set(doc, result.failedRange, `Build failed (${by}): ${result.error ?? 'unknown error'}`) : undefined;
    const where = range ? ` (line ${range.start.line + 1})` : '';
    void vscode.window.showErrorMessage(`Build of ${tag} failed${where}: ${result.error}. No tag was applied.`, 'Show Output').then((pick) => {
      if (pick) output.show(true);
    });
    return result;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(BUILD_COMMAND, async (arg?: unknown, opts?: BuildCommandOptions) => {
      try {
        // The explorer passes (uri, selectedUris[]); lenses and tests pass (uri, options).
        return await run(arg, opts && !Array.isArray(opts) ? opts : {});
      } catch (err) {
        log.error(`${BUILD_COMMAND}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(`Build failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }),
  );
}
