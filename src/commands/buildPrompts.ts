/**
 * The questions of "Build Child Image…" (target stage, build args, context folder, image name),
 * each skipped when its answer is given or when prompting is off.
 */
import * as vscode from 'vscode';
import { dirname, isAbsolute, join } from 'node:path';
import { targetStage, type DockerfileModel } from '../core/dockerfile';
import { validateImageName } from '../core/tagname';

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
  /** Extra labels for the image (tests, provenance). */
  labels?: Record<string, string>;
  /** Builder setting for this build ("auto", "buildkit", "classic"); default: `containerLineage.build.builder`. */
  builder?: string;
  /** Show the build output channel when the build starts (default true). */
  showOutput?: boolean;
  /** Never prompt: use the given or default values (tests, automation). */
  noPrompt?: boolean;
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

/** "K=V K2=V2" from build args (the inverse of {@link parseBuildArgs}). */
export function formatBuildArgs(args: Record<string, string>): string {
  return Object.entries(args).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** ARG names a build of `target` can use: meta ARGs plus ARGs in the target's stage chain. */
export function argsFor(model: DockerfileModel, target?: string): Array<{ name: string; defaultValue?: string }> {
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

/** The context folder from the setting (absolute or workspace-relative), else the Dockerfile's folder. */
export function resolveContextFolder(doc: vscode.TextDocument, setting: string): string | undefined {
  const wsFolder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (setting) {
    if (isAbsolute(setting)) return setting;
    if (wsFolder) return join(wsFolder.uri.fsPath, setting);
  }
  if (doc.uri.scheme === 'file') return dirname(doc.uri.fsPath);
  return wsFolder?.uri.fsPath;
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

/**
 * The target stage: `given`, else the user's pick among targetable stages (the last stage is
 * `undefined`, i.e. no target), else undefined when there is one candidate.
 * @returns `{ target }`, or undefined when the pick was cancelled.
 */
export async function pickTarget(model: DockerfileModel, given: string | undefined, noPrompt: boolean | undefined): Promise<{ target?: string } | undefined> {
  const targetable = model.stages.filter((s) => s.targetable);
  if (given !== undefined || noPrompt || targetable.length <= 1) return { target: given };
  const last = model.stages[model.stages.length - 1]!;
  const items = [...targetable].reverse().map((s) => ({
    label: s.name ?? `stage ${s.index + 1} (final)`,
    description: `FROM ${s.baseWritten ?? '?'} · line ${s.fromLine + 1}${s === last ? ' · final stage' : ''}`,
    stage: s,
  }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Stage to build (target)', title: 'Build child image' });
  if (!picked) return undefined;
  return { target: picked.stage === last ? undefined : picked.stage.name };
}

/**
 * Build args: `given`, else the last ones used for this file (plus empty values for args an
 * unresolved FROM needs), asked when the file declares ARGs and prompting is on.
 * @returns the args, or undefined when cancelled.
 */
export async function askBuildArgs(
  model: DockerfileModel,
  target: string | undefined,
  given: Record<string, string> | undefined,
  last: Record<string, string>,
  noPrompt: boolean | undefined,
): Promise<Record<string, string> | undefined> {
  if (given !== undefined) return given;
  const declared = argsFor(model, target);
  const needed = model.stages.flatMap((s) => (s.base.kind === 'unresolved' ? s.base.missing : []));
  const prefill: Record<string, string> = { ...last };
  for (const n of needed) if (!(n in prefill)) prefill[n] = '';
  if (noPrompt || declared.length === 0) return Object.fromEntries(Object.entries(prefill).filter(([, v]) => v !== ''));
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
  return input === undefined ? undefined : parseBuildArgs(input);
}

/**
 * The build context folder: `given`, else the setting or the Dockerfile's folder; asked when the
 * setting says so (or none is known) and prompting is on.
 * @returns the folder, or undefined when cancelled or unknown (an error is shown).
 */
export async function pickContextFolder(doc: vscode.TextDocument, given: string | undefined, noPrompt: boolean | undefined): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration('containerLineage');
  let folder = given ?? resolveContextFolder(doc, config.get<string>('build.contextFolder', '').trim());
  if (folder && !config.get<boolean>('build.askForContextFolder', false)) return folder;
  if (noPrompt) {
    if (!folder) void vscode.window.showErrorMessage('No build context folder: save the Dockerfile in a folder or set containerLineage.build.contextFolder.');
    return folder;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: folder ? vscode.Uri.file(folder) : undefined,
    openLabel: 'Use as build context',
  });
  folder = picked?.[0]?.fsPath;
  return folder;
}
