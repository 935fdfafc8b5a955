/**
 * Shared by the VS Code suites (each suite is bundled on its own, so this is inlined into each).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';

export const EXTENSION_ID = 'container-lineage.container-lineage';

/** Activates Container Lineage (if needed) and returns what `activate()` returned. */
export async function services(): Promise<Services> {
  const ext = vscode.extensions.getExtension<{ services: Services }>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  return (await ext.activate()).services;
}

/**
 * Polls `probe` (sync or async) every `intervalMs` until it returns something other than undefined.
 * @throws Error naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A tree item as `containerLineage.internal.renderTree` returns it. */
export interface TreeRow {
  id?: string;
  label: string;
  description?: string;
  children: TreeRow[];
}

/** Depth-first search of rendered rows. */
export function findRow<R extends { children: R[] }>(items: R[], pred: (i: R) => boolean): R | undefined {
  for (const i of items) {
    if (pred(i)) return i;
    const f = findRow(i.children, pred);
    if (f) return f;
  }
  return undefined;
}

/**
 * For suites that build: waits for the engine, then runs builds' RUN steps without network
 * (hermetic, independent of the engine's bridge) until {@link restoreBuildNetwork}.
 */
export async function connectedForBuilds(): Promise<Services> {
  const s = await services();
  await waitFor('engine connected', 60_000, () => (s.engine.state.kind === 'connected' ? true : undefined));
  await vscode.workspace.getConfiguration('containerLineage').update('build.network', 'none', vscode.ConfigurationTarget.Global);
  return s;
}

/** Undo {@link connectedForBuilds}'s network setting. */
export async function restoreBuildNetwork(): Promise<void> {
  await vscode.workspace.getConfiguration('containerLineage').update('build.network', undefined, vscode.ConfigurationTarget.Global);
}
