/**
 * "Build Child Image from Active Dockerfile…": builds from the editor's current text (even
 * unsaved) with the Dockerfile's folder as build context, after asking for target stage, build
 * args and tag; progress in a cancellable notification, full output in the log channel, a
 * failing step marked with an error diagnostic on its instruction, the new image revealed in
 * the Images view on success. Refused in an untrusted workspace.
 */
import * as vscode from 'vscode';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Services } from '../services';
import { instructionForStep, parseDockerfile, targetStage, type DockerfileModel } from '../core/dockerfile';
import { deriveImageName, validateImageName } from '../core/tagname';
import type { BuildResult } from '../engine/build';
import { buildWithProvenance } from '../engine/provenanceBuild';
import { RecipeStore } from '../store/recipeStore';

export const BUILD_COMMAND = 'containerLineage.buildImage';
/** Reveal command of the Images view (lineage feature); used only when registered. */
const REVEAL_IMAGE_COMMAND = 'containerLineage.images.reveal';
const LAST_TAG_KEY = 'containerLineage.build.lastTag';
const LAST_ARGS_KEY = 'containerLineage.build.lastArgs';

/** Optional arguments of the build command (code lenses, tests, other commands). */
export interface BuildCommandOptions {
  /** Stage to build; asked when omitted and there are several targetable stages. */
  target?: string;
  /** Image name; asked (pre-filled) when omitted. */
  tag?: string;
  /** Build args; asked when omitted and the file declares ARGs. */
  buildArgs?: Record<string, string>;
  /** Build context folder; from the setting or the Dockerfile's folder when omitted. */
  contextFolder?: string;
  /** Extra labels for the image (tests). */
  labels?: Record<string, string>;
  /** Never prompt: use the given or default values (tests, automation). */
  noPrompt?: boolean;
}

/** Whether a document is a Dockerfile by language or name. */
export function isDockerfileDocument(doc: vscode.TextDocument): boolean {
  if (doc.languageId === 'dockerfile') return true;
  const name = basename(doc.uri.path);
  return /^(Dockerfile|Containerfile)(\..*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}

/** Parse "K=V K2=V2" (space or comma separated; a bare K takes no value and is skipped). */
export function parseBuildArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[\s,]+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function formatBuildArgs(args: Record<string, string>): string {
  return Object.entries(args).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** ARG names a build of `target` can use: meta ARGs plus ARGs in the target's stage chain. */
function argsFor(model: DockerfileModel, target?: string): Array<{ name: string; defaultValue?: string }> {
  const seen = new Map<string, string | undefined>();
  for (const a of model.metaArgs) seen.set(a.name, a.defaultWritten);
  const stage = targetStage(model, target);
  const chain: number[] = [];
  for (let s = stage; s; s = s.base.kind === 'stage' ? model.stages[s.base.stageIndex] : undefined) {
    if (chain.includes(s.index)) break;
    chain.push(s.index);
  }
  for (const i of chain.reverse()) {
    for (const ins of model.stages[i]!.instructions) {
      if (ins.keyword !== 'ARG') continue;
      for (const word of ins.text.split(/\s+/)) {
        const eq = word.indexOf('=');
        const name = eq === -1 ? word : word.slice(0, eq);
        if (name && !seen.has(name)) seen.set(name, eq === -1 ? undefined : word.slice(eq + 1));
      }
    }
  }
  return [...seen].map(([name, defaultValue]) => ({ name, defaultValue }));
}

function resolveContextFolder(doc: vscode.TextDocument, setting: string): string | undefined {
  const wsFolder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (setting) {
    if (isAbsolute(setting)) return setting;
    if (wsFolder) return join(wsFolder.uri.fsPath, setting);
  }
  if (doc.uri.scheme === 'file') return dirname(doc.uri.fsPath);
  return wsFolder?.uri.fsPath;
}

/**
 * Reveal and select an image in the Images view. Uses the lineage feature's reveal command
 * (`containerLineage.images.reveal`, argument: image ID) when it is registered; otherwise
 * refreshes and focuses the view.
 */
export async function revealImageInTree(imageId: string): Promise<void> {
  const all = await vscode.commands.getCommands(true);
  if (all.includes(REVEAL_IMAGE_COMMAND)) {
    await vscode.commands.executeCommand(REVEAL_IMAGE_COMMAND, imageId);
    return;
  }
  if (all.includes('containerLineage.images.refresh')) await vscode.commands.executeCommand('containerLineage.images.refresh');
  await vscode.commands.executeCommand('containerLineage.images.focus');
}

/**
 * The image name to use: `given` if any, else `suggested` without prompting (`noPrompt`), else
 * what the user enters in an input box pre-filled with `suggested` and validated as they type.
 * @returns a valid, trimmed name, or undefined when cancelled or invalid (the error is shown).
 */
export async function resolveImageName(
  given: string | undefined,
  suggested: string,
  noPrompt: boolean | undefined,
  box: { title: string; prompt: string },
): Promise<string | undefined> {
  let name = given;
  if (name === undefined && noPrompt) name = suggested;
  if (name === undefined) {
    name = await vscode.window.showInputBox({
      ...box,
      value: suggested,
      validateInput: (v) => {
        const c = validateImageName(v);
        return c.ok ? undefined : c.message;
      },
    });
    if (name === undefined) return undefined;
  }
  const check = validateImageName(name);
  if (!check.ok) {
    void vscode.window.showErrorMessage(check.message);
    return undefined;
  }
  return name.trim();
}

/** Register the build command and its diagnostics collection. */
export function registerBuild(services: Services): void {
  const { context, log } = services;
  const diagnostics = vscode.languages.createDiagnosticCollection('container-lineage-build');
  context.subscriptions.push(diagnostics);
  // Every build records its base labels and, for a Dockerfile on disk, its recipe (Rebuild Descendants).
  const recipes = new RecipeStore(undefined, { warn: (m) => log.warn(m) });

  const run = async (arg?: unknown, opts: BuildCommandOptions = {}): Promise<BuildResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showErrorMessage(
        'Building an image runs the commands of this Dockerfile: trust this workspace first, then build again.',
        'Manage Workspace Trust',
      );
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    // The document: a URI from the explorer / lens, else the active editor.
    let doc: vscode.TextDocument | undefined;
    const uri = arg instanceof vscode.Uri ? arg : undefined;
    if (uri) {
      doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri));
    } else {
      doc = vscode.window.activeTextEditor?.document;
    }
    if (!doc || (!uri && !isDockerfileDocument(doc))) {
      void vscode.window.showErrorMessage('Open a Dockerfile in the editor (or right-click one in the Explorer) to build a child image from it.');
      return undefined;
    }
    const text = doc.getText();
    const key = doc.uri.toString();
    const state = context.workspaceState;
    const config = vscode.workspace.getConfiguration('containerLineage');
    let model = parseDockerfile(text);
    if (model.stages.length === 0) {
      void vscode.window.showErrorMessage(`${basename(doc.uri.path)} has no FROM instruction: nothing to build.`);
      return undefined;
    }

    // Target stage.
    let target = opts.target;
    const targetable = model.stages.filter((s) => s.targetable);
    if (target === undefined && !opts.noPrompt && targetable.length > 1) {
      const last = model.stages[model.stages.length - 1]!;
      const items = [...targetable].reverse().map((s) => ({
        label: s.name ?? `stage ${s.index + 1} (final)`,
        description: `FROM ${s.baseWritten ?? '?'} · line ${s.fromLine + 1}${s === last ? ' · final stage' : ''}`,
        stage: s,
      }));
      const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Stage to build (target)', title: 'Build child image' });
      if (!picked) return undefined;
      target = picked.stage === last ? undefined : picked.stage.name;
    }

    // Build args.
    let buildArgs = opts.buildArgs;
    const declared = argsFor(model, target);
    if (buildArgs === undefined) {
      const last = state.get<Record<string, Record<string, string>>>(LAST_ARGS_KEY, {})[key] ?? {};
      const needed = model.stages.filter((s) => s.base.kind === 'unresolved').flatMap((s) => (s.base.kind === 'unresolved' ? s.base.missing : []));
      const prefill: Record<string, string> = { ...last };
      for (const n of needed) if (!(n in prefill)) prefill[n] = '';
      if (!opts.noPrompt && declared.length > 0) {
        const shown = declared.map((a) => `${a.name}${a.defaultValue !== undefined ? `=${a.defaultValue}` : ' (no default)'}`).join(', ');
        const input = await vscode.window.showInputBox({
          title: 'Build child image: build args',
          prompt: `K=V pairs separated by spaces; empty keeps the defaults. Declared: ${shown}`,
          value: formatBuildArgs(prefill),
          validateInput: (v) => {
            const bad = v.split(/[\s,]+/).filter((p) => p && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(p));
            return bad.length ? `Write each build arg as NAME=value ("${bad[0]}" is not).` : undefined;
          },
        });
        if (input === undefined) return undefined;
        buildArgs = parseBuildArgs(input);
      } else {
        buildArgs = Object.fromEntries(Object.entries(prefill).filter(([, v]) => v !== ''));
      }
    }
    model = parseDockerfile(text, { buildArgs });
    const stage = targetStage(model, target);
    if (!stage) {
      void vscode.window.showErrorMessage(`No stage named "${target}" in ${basename(doc.uri.path)}.`);
      return undefined;
    }
    const unresolved = model.stages.filter((s) => s.index <= stage.index && s.base.kind === 'unresolved');
    if (unresolved.length > 0) {
      const s = unresolved[0]!;
      const reason = s.base.kind === 'unresolved' ? s.base.reason : '';
      void vscode.window.showErrorMessage(`The base of line ${s.fromLine + 1} is unresolved (${reason}). Build again and give the build arg a value.`);
      return undefined;
    }

    // Context folder.
    let contextFolder = opts.contextFolder ?? resolveContextFolder(doc, config.get<string>('build.contextFolder', '').trim());
    if (!contextFolder || config.get<boolean>('build.askForContextFolder', false)) {
      if (opts.noPrompt && !contextFolder) {
        void vscode.window.showErrorMessage('No build context folder: save the Dockerfile in a folder or set containerLineage.build.contextFolder.');
        return undefined;
      }
      if (!opts.noPrompt) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          defaultUri: contextFolder ? vscode.Uri.file(contextFolder) : undefined,
          openLabel: 'Use as build context',
        });
        if (!picked?.[0]) return undefined;
        contextFolder = picked[0].fsPath;
      }
    }
    if (!contextFolder) return undefined;

    // Tag.
    const lastTags = state.get<Record<string, string>>(LAST_TAG_KEY, {});
    const tag = await resolveImageName(opts.tag, lastTags[key] ?? deriveImageName(basename(contextFolder)), opts.noPrompt, {
      title: 'Build child image: image name',
      prompt: `Tag for the image built from ${basename(doc.uri.path)}${target ? ` (stage ${target})` : ''}; the tag is applied only if the build succeeds.`,
    });
    if (tag === undefined) return undefined;

    let docker;
    try {
      docker = services.engine.docker();
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot build: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }

    const name = basename(doc.uri.path);
    log.info(`build ${name} → ${tag}${target ? ` (target ${target})` : ''}, context ${contextFolder}${Object.keys(buildArgs).length ? `, build args ${formatBuildArgs(buildArgs)}` : ''}`);
    let partial = '';
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Building ${tag}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          return await buildWithProvenance(docker, {
            contextDir: contextFolder!,
            dockerfileText: text,
            dockerfilePath: doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined,
            names: services.engine.dialect.names,
            tag,
            target,
            buildArgs,
            labels: opts.labels,
            networkMode: config.get<string>('build.network', '') || undefined,
            signal: ac.signal,
            onOutput: (chunk) => {
              partial += chunk;
              let nl: number;
              while ((nl = partial.indexOf('\n')) !== -1) {
                const line = partial.slice(0, nl).replace(/\r$/, '');
                partial = partial.slice(nl + 1);
                log.info(`[build] ${line}`);
                if (/^Step \d+\/\d+ : /.test(line)) progress.report({ message: line.length > 80 ? `${line.slice(0, 79)}…` : line });
              }
            },
          }, recipes);
        } finally {
          sub.dispose();
        }
      },
    );
    if (partial) log.info(`[build] ${partial}`);

    if (result.ok) {
      if (result.recipeError) log.warn(result.recipeError);
      diagnostics.delete(doc.uri);
      await state.update(LAST_TAG_KEY, { ...lastTags, [key]: tag });
      await state.update(LAST_ARGS_KEY, { ...state.get<Record<string, Record<string, string>>>(LAST_ARGS_KEY, {}), [key]: buildArgs });
      log.info(`built ${tag} = ${result.imageId} in ${result.durationMs} ms (${result.context?.files ?? 0} files, ${result.context?.bytes ?? 0} bytes of context, ${result.context?.excluded ?? 0} excluded)`);
      void vscode.window.showInformationMessage(`Built ${tag} (${result.imageId?.slice(7, 19)}).`);
      await revealImageInTree(result.imageId!).catch((err: unknown) => log.warn(`reveal ${result.imageId}: ${String(err)}`));
      return result;
    }
    if (result.cancelled) {
      log.info(`build of ${tag} cancelled; no tag applied`);
      void vscode.window.showInformationMessage(`Build of ${tag} cancelled; no tag applied.`);
      return result;
    }
    log.error(`build of ${tag} failed: ${result.error}`);
    // Diagnostic on the failing instruction (the text sent is the text the model was parsed from).
    const ins = result.failedStep ? instructionForStep(model, result.failedStep.line) : undefined;
    let range: vscode.Range | undefined;
    if (ins) range = new vscode.Range(ins.range.start.line, ins.range.start.character, ins.range.end.line, ins.range.end.character);
    else if (result.errorLine !== undefined && result.errorLine >= 1 && result.errorLine <= doc.lineCount) range = doc.lineAt(result.errorLine - 1).range;
    if (range) {
      const d = new vscode.Diagnostic(range, `Build failed: ${result.error ?? 'unknown error'}`, vscode.DiagnosticSeverity.Error);
      d.source = 'Container Lineage build';
      diagnostics.set(doc.uri, [d]);
    }
    const where = range ? ` (line ${range.start.line + 1})` : '';
    void vscode.window.showErrorMessage(`Build of ${tag} failed${where}: ${result.error}. No tag was applied.`, 'Show Output').then((pick) => {
      if (pick) log.show(true);
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
