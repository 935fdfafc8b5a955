/**
 * What the throwaway-container commands (transactions, the throwaway shell, serve) ask the user
 * and read from the settings: the image to run on (`pickImage`), a whole number, the secure
 * defaults and timeout of `containerLineage.transactions.*`.
 */
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import { bestRepoTag, shortId, type ImageRecord } from '../core/lineage';
import type { SecurityOptions } from '../engine/security';
import { listImageChoices, type TransactionRunner } from '../engine/transaction';
import { wholeNumberAtLeast } from './multiStep';

/** Settings section of the throwaway-container feature. */
export const SECTION = 'containerLineage.transactions';

/** Secure defaults and timeout from the settings. */
export function securityFromSettings(): { security: Partial<SecurityOptions>; timeoutMs: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    security: {
      network: c.get<string>('network', 'none'),
      dropAllCapabilities: c.get<boolean>('dropAllCapabilities', true),
      noNewPrivileges: c.get<boolean>('noNewPrivileges', true),
      pidsLimit: c.get<number>('pidsLimit', 128),
      memoryBytes: c.get<number>('memoryMiB', 256) * 1024 * 1024,
      readOnlyRootfs: c.get<boolean>('readOnlyRootfs', true),
      tmpfsBytes: c.get<number>('tmpfsMiB', 64) * 1024 * 1024,
    },
    timeoutMs: c.get<number>('timeoutSeconds', 60) * 1000,
  };
}

/**
 * Resolve the image a command applies to: an Images-view item (`{ kind: 'image', node }`), a
 * reference string, or a quick pick of local images. Returns undefined when the user dismissed the
 * pick or the images could not be listed (the error is shown).
 */
export async function pickImage(feature: { runner(): { docker: TransactionRunner['docker'] } }, arg: unknown, placeHolder: string, { ask = true, title }: { ask?: boolean; title?: string } = {}): Promise<string | undefined> {
  if (typeof arg === 'string' && arg) return arg;
  const item = arg as { kind?: string; node?: { image?: ImageRecord } } | undefined;
  // The tag the row shows, not repoTags[0] (the engine's order: maybe another tag of the image).
  if (item?.kind === 'image' && item.node?.image) return bestRepoTag(item.node.image) ?? item.node.image.id;
  if (!ask) return undefined;
  let choices;
  try {
    choices = await listImageChoices(feature.runner().docker);
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot list images: ${engineProblem(err)}`);
    return undefined;
  }
  if (choices.length === 0) {
    void vscode.window.showWarningMessage('There are no images on the engine. Build one first (Container Lineage: Build Child Image…).');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.reference, description: `${shortId(c.id)} · ${formatBytes(c.size)} total`, reference: c.reference })),
    { title, placeHolder },
  );
  return picked?.reference;
}

/**
 * Ask for a whole number of at least `min` (input box prefilled with `value`).
 * @returns the number, or undefined when the user dismissed the box.
 */
export async function askNumber(prompt: string, value: number, min: number, title?: string): Promise<number | undefined> {
  const s = await vscode.window.showInputBox({ title, prompt, value: String(value), validateInput: wholeNumberAtLeast(min) });
  return s === undefined ? undefined : Number(s.trim());
}

/** An engine or listing error as the text of a notification. */
export function engineProblem(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
