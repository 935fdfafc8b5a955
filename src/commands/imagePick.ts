/**
 * How the image commands find the image they apply to (the clicked item, the selection, an ID or
 * tag argument, or a quick pick) and reveal images in the Images view.
 */
import * as vscode from 'vscode';
import { bestTag, shortId, walk, type LineageForest, type LineageNode } from '../core/lineage';
import { formatBytes } from '../core/format';
import type { ImageElement, ImagesElement, LineageUi } from '../views/images';

/** Resolve the image a command applies to: the clicked item, the selection, or a quick pick. */
export async function pickImage(ui: LineageUi, arg: unknown, placeHolder: string, title?: string): Promise<LineageNode | undefined> {
  const forest = await currentForest(ui);
  if (!forest) return undefined;
  const fromArg = (a: unknown): LineageNode | undefined => {
    const e = a as ImagesElement | undefined;
    if (e?.kind === 'image') return forest.byId.get(e.node.image.id);
    if (e?.kind === 'container') return forest.byId.get(e.container.imageId);
    if (typeof a === 'string') return forest.byId.get(a) ?? [...forest.byId.values()].find((n) => n.image.repoTags.includes(a));
    return undefined;
  };
  const direct = fromArg(arg);
  if (direct) return direct;
  if (arg === undefined && ui.imagesView.selection.length === 1) {
    const sel = fromArg(ui.imagesView.selection[0]);
    if (sel) return sel;
  }
  const items = [...walk(forest.roots)].map((n) => ({
    label: bestTag(n.image),
    description: `${shortId(n.image.id)} · ${formatBytes(n.uniqueSize)}`,
    detail: n.image.repoTags.length > 1 ? n.image.repoTags.join(', ') : undefined,
    node: n,
  }));
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.node;
}

/** The full forest (dangling included), loading a snapshot if the views never did. */
export async function currentForest(ui: LineageUi): Promise<LineageForest | undefined> {
  if (!ui.source.snapshot) await ui.source.ensureSnapshot();
  const f = ui.images.fullForest();
  if (!f) void vscode.window.showWarningMessage('No container engine is connected: the Images view lists what was tried.');
  return f;
}

/** Reveal and select an image in the Images view (`expand`: levels to expand below it, up to 3). */
export async function revealImage(ui: LineageUi, node: LineageNode, expand: boolean | number = false): Promise<void> {
  const el: ImageElement | undefined = ui.images.elementFor(node.image.id);
  if (!el && node.dangling) {
    void vscode.window.showInformationMessage(`${bestTag(node.image)} is dangling and dangling images are hidden (toggle in the view title).`);
    return;
  }
  if (el) await ui.imagesView.reveal(el, { select: true, focus: true, expand });
}

