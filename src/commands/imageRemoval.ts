/**
 * "Remove Image…" and "Remove Image and Descendants…" (Images view, palette).
 *
 * Remove Image… on a tag of an image that has other tags untags it, like `docker rmi <tag>`: the
 * image, its child images and its containers stay. On an image's only tag (or an untagged
 * image) it removes the image, but only when nothing is built on it and no container uses it;
 * otherwise it says what blocks it (every tag named) and points to Remove Image and
 * Descendants…, the separate, explicit action that removes an image with its whole subtree.
 * Every confirmation names every tag of what it would remove, and Enter never deletes: the
 * focused button is the safe one (see `confirm.ts`).
 */
import * as vscode from 'vscode';
import { countList, plural } from '../core/format';
import { bestRepoTag, bestTag, removalPlan, shortId, type LineageNode } from '../core/lineage';
import { decideRemoval, describeBlockers, describePlan, imageNames, planCounts } from '../core/removal';
import { removeSubtree } from '../engine/containers';
import { engineErrorMessage, ImageConflictError, removeImage, untagImage } from '../engine/images';
import type { LineageUi } from '../views/images';
import { confirmDestructive } from './confirm';
import { currentForest, pickImage, revealImage } from './imagePick';

export const REMOVE_COMMAND = 'containerLineage.image.remove';
export const REMOVE_WITH_DESCENDANTS_COMMAND = 'containerLineage.image.removeWithDescendants';

/** What a removal command did (returned to callers and tests). */
export type RemovalOutcome =
  | { kind: 'untagged'; imageId: string; tag: string }
  | { kind: 'removed'; imageIds: string[]; containerIds: string[]; failures: number }
  | { kind: 'kept'; imageId: string }
  | { kind: 'blocked'; imageId: string };

/** The tag a removal is about: an explicit tag argument, else (from the palette) the user's pick, else the best tag. */
async function chooseTag(node: LineageNode, arg: unknown): Promise<string | null | undefined> {
  const tags = node.image.repoTags;
  if (typeof arg === 'string' && tags.includes(arg)) return arg;
  if (arg !== undefined || tags.length < 2) return null;
  const picked = await vscode.window.showQuickPick(
    [...tags].sort((a, b) => (a === bestRepoTag(node.image) ? -1 : b === bestRepoTag(node.image) ? 1 : a.localeCompare(b))).map((t) => ({
      label: t,
      description: `untag: the image keeps ${tags.filter((x) => x !== t).join(', ')}`,
    })),
    { title: `Remove Image: ${shortId(node.image.id)} has ${plural(tags.length, 'tag')}`, placeHolder: 'Which tag to remove (the image and everything built on it stay)' },
  );
  return picked ? picked.label : undefined;
}

/** Remove Image…: untag, remove, or explain what blocks it. */
async function removeImageCommand(ui: LineageUi, arg: unknown): Promise<RemovalOutcome | undefined> {
  const node = await pickImage(ui, arg, 'Image to remove', 'Remove Image');
  if (!node) return undefined;
  const tag = await chooseTag(node, arg);
  if (tag === undefined) return undefined;
  const decision = decideRemoval(node, tag ?? undefined);
  const docker = ui.services.engine.docker();
  const id = node.image.id;

  if (decision.kind === 'untag') {
    const kids = node.children.length;
    // Keep Tag first: Enter keeps (the focused button of every removal confirmation removes nothing).
    const choice = await confirmDestructive(
      `Untag ${decision.tag}?`,
      `The image ${shortId(id)} stays, with its other ${decision.remaining.length === 1 ? 'tag' : 'tags'} ${decision.remaining.join(', ')}.` +
        (kids + node.containers.length ? ` Its ${countList([[kids, 'child image'], [node.containers.length, 'container']])} ${kids + node.containers.length === 1 ? 'stays' : 'stay'} too.` : '') +
        '\n\nTo delete the image itself, with everything built on it, use "Remove Image and Descendants…" instead.',
      'Untag',
      'Keep Tag',
    );
    if (choice !== 'action') return undefined;
    try {
      await untagImage(docker, decision.tag, id);
    } catch (err) {
      void vscode.window.showErrorMessage(`Could not untag ${decision.tag}: ${engineErrorMessage(err)}`);
      return undefined;
    }
    await ui.source.refresh(['images']);
    void vscode.window.showInformationMessage(`Untagged ${decision.tag}; the image keeps ${decision.remaining.join(', ')}.`);
    return { kind: 'untagged', imageId: id, tag: decision.tag };
  }

  if (decision.kind === 'blocked') return explainBlocked(ui, node, `${bestTag(node.image)} cannot be removed on its own`, describeBlockers(decision.plan));

  const choice = await confirmDestructive(
    `Remove image ${bestTag(node.image)}?`,
    `${imageNames(node)}\nNo image is built on it and no container uses it. This cannot be undone.`,
    'Remove Image',
    'Keep Image',
  );
  if (choice !== 'action') return { kind: 'kept', imageId: id };
  try {
    await removeImage(docker, id, node.image.repoTags.length > 1);
  } catch (err) {
    if (!(err instanceof ImageConflictError)) {
      void vscode.window.showErrorMessage(`Could not remove ${bestTag(node.image)}: ${engineErrorMessage(err)}`);
      return undefined;
    }
    // Dependants the model did not know (a race, hidden images): explain with a fresh model.
    await ui.source.refresh();
    const fresh = (await currentForest(ui))?.byId.get(id);
    const plan = fresh ? removalPlan(fresh) : undefined;
    return explainBlocked(ui, fresh ?? node, `The engine refused to remove ${bestTag(node.image)}`, plan && (plan.descendants.length || plan.containers.length) ? describeBlockers(plan) : err.engineMessage);
  }
  await ui.source.refresh(['images']);
  void vscode.window.showInformationMessage(`Removed image ${imageNames(node)}.`);
  return { kind: 'removed', imageIds: [id], containerIds: [], failures: 0 };
}

/** Say why an image cannot go alone; offer to show it or to start the explicit subtree removal. */
async function explainBlocked(ui: LineageUi, node: LineageNode, message: string, why: string): Promise<RemovalOutcome | undefined> {
  const next = 'Remove Image and Descendants…';
  const choice = await vscode.window.showWarningMessage(
    message,
    { modal: true, detail: `${why}.\n\n"${next}" removes it with everything built on it, after a confirmation that names each image and container.` },
    'Show in Tree',
    next,
  );
  if (choice === next) return removeWithDescendants(ui, node);
  if (choice === 'Show in Tree') await revealImage(ui, node, 3);
  return { kind: 'blocked', imageId: node.image.id };
}

/** Remove Image and Descendants…: the image, every image built on it and every container of them. */
async function removeWithDescendants(ui: LineageUi, arg: unknown): Promise<RemovalOutcome | undefined> {
  const picked = (arg as LineageNode | undefined)?.image && (arg as LineageNode).children ? (arg as LineageNode) : await pickImage(ui, arg, 'Image to remove with everything built on it', 'Remove Image and Descendants');
  if (!picked) return undefined;
  const node = (await currentForest(ui))?.byId.get(picked.image.id) ?? picked;
  const plan = removalPlan(node);
  const counts = planCounts(plan);
  const label = bestTag(node.image);
  const choice = await confirmDestructive(
    plan.descendants.length || plan.containers.length
      ? `Remove ${label} and everything built on it: ${counts}?`
      : `Remove ${label}? Nothing is built on it and no container uses it.`,
    `In this order:\n${describePlan(plan).map((l) => `• ${l}`).join('\n')}\n\nRunning containers are stopped first. This cannot be undone.`,
    `Remove ${counts}`,
    'Show in Tree',
  );
  if (choice === 'safe') await revealImage(ui, node, 3);
  if (choice !== 'action') return { kind: 'kept', imageId: node.image.id };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: plan.descendants.length ? `Removing ${label} and ${plural(plan.descendants.length, 'descendant')}…` : `Removing ${label}…` }, () =>
    removeSubtree(ui.services.engine.docker(), plan),
  );
  await ui.source.refresh();
  const done = countList([
    [result.removedImages.length, 'image'],
    [result.removedContainers.length, 'container'],
  ]);
  if (result.failures.length) {
    void vscode.window.showErrorMessage(`Removed ${done}; ${result.failures.length} failed: ${result.failures.map((f) => `${f.kind} ${shortId(f.id)}: ${f.message}`).join('; ')}`);
  } else {
    void vscode.window.showInformationMessage(`Removed ${done}.`);
  }
  return { kind: 'removed', imageIds: result.removedImages, containerIds: result.removedContainers, failures: result.failures.length };
}

/** Register both removal commands (`run` wraps each with the feature's error reporting). */
export function registerImageRemoval(ui: LineageUi, run: (id: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable): void {
  ui.services.context.subscriptions.push(
    run(REMOVE_COMMAND, (arg) => removeImageCommand(ui, arg)),
    run(REMOVE_WITH_DESCENDANTS_COMMAND, (arg) => removeWithDescendants(ui, arg)),
  );
}
