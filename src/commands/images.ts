/**
 * Image commands for the Images view (context menus, view title and palette): refresh, toggle
 * dangling images, reveal parent, show children, inspect (read-only JSON document), copy ID/tag,
 * tag, remove (explaining a 409 with the blocking children and containers, offering to remove the
 * subtree after one modal confirmation), prune dangling images (modal confirmation) and show
 * layers (read-only table document).
 */
import * as vscode from 'vscode';
import {
  bestTag,
  layerRows,
  describeRemovalBlockers as describeBlockers,
  removalPlan,
  shortId,
  walk,
  type LineageForest,
  type LineageNode,
  type RemovalPlan,
} from '../core/lineage';
import { formatBytes } from '../core/format';
import { tagMoveWarning, validateImageName } from '../core/tagname';
import { LocalImageIndex } from '../core/reference';
import { removeSubtree } from '../engine/containers';
import { engineErrorMessage, ImageConflictError, inspectImage, pruneDanglingImages, removeImage, tagImage } from '../engine/images';
import { inspectContainer } from '../engine/containers';
import type { ImageElement, ImagesElement, LineageUi } from '../views/images';
import { SHOW_DANGLING_SETTING } from '../views/images';

/** URI scheme of the read-only documents (inspect JSON, layer tables). */
export const INSPECT_SCHEME = 'container-lineage-inspect';

/** Resolve the image a command applies to: the clicked item, the selection, or a quick pick. */
async function pickImage(ui: LineageUi, arg: unknown, placeHolder: string): Promise<LineageNode | undefined> {
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
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.node;
}

/** The full forest (dangling included), loading a snapshot if the views never did. */
async function currentForest(ui: LineageUi): Promise<LineageForest | undefined> {
  if (!ui.source.snapshot) await ui.source.ensureSnapshot();
  const f = ui.images.fullForest();
  if (!f) void vscode.window.showWarningMessage('No container engine is connected: the Images view lists what was tried.');
  return f;
}

/** Ask once (modal) and remove the subtree: containers, then images deepest first. */
async function offerSubtreeRemoval(ui: LineageUi, plan: RemovalPlan, reason: string): Promise<void> {
  const label = bestTag(plan.target.image);
  const action = `Remove ${plan.images.length} Image${plan.images.length === 1 ? '' : 's'} and ${plan.containers.length} Container${plan.containers.length === 1 ? '' : 's'}`;
  const choice = await vscode.window.showWarningMessage(
    `${reason}`,
    { modal: true, detail: `Removing ${label} with everything built on it removes, in this order: containers ${plan.containers.map((c) => c.names[0] ?? shortId(c.id)).join(', ') || '(none)'}; images ${plan.images.map((n) => bestTag(n.image)).join(', ')}. Running containers are stopped. This cannot be undone.` },
    action,
  );
  if (choice !== action) return;
  const docker = ui.services.engine.docker();
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing ${label} and its subtree…` }, () => removeSubtree(docker, plan));
  await ui.source.refresh();
  if (result.failures.length) {
    void vscode.window.showErrorMessage(
      `Removed ${result.removedImages.length} image(s) and ${result.removedContainers.length} container(s); ${result.failures.length} failed: ${result.failures.map((f) => `${f.kind} ${shortId(f.id)}: ${f.message}`).join('; ')}`,
    );
  } else {
    void vscode.window.showInformationMessage(`Removed ${result.removedImages.length} image(s) and ${result.removedContainers.length} container(s).`);
  }
}

/**
 * Remove an image. When the model shows children or containers, say which and offer the subtree
 * (nothing is removed without confirmation). Otherwise confirm and remove; if the engine answers
 * 409 anyway (hidden dependants, a race), explain with a fresh model and offer the subtree.
 */
async function removeImageCommand(ui: LineageUi, arg: unknown): Promise<void> {
  const node = await pickImage(ui, arg, 'Image to remove');
  if (!node) return;
  const label = bestTag(node.image);
  const plan = removalPlan(node);
  if (plan.descendants.length || plan.containers.length) {
    await offerSubtreeRemoval(ui, plan, `${label} cannot be removed on its own: ${describeBlockers(plan)}.`);
    return;
  }
  const tags = node.image.repoTags;
  const confirm = 'Remove';
  const choice = await vscode.window.showWarningMessage(
    `Remove image ${label}?`,
    { modal: true, detail: `${node.image.id}${tags.length > 1 ? `\nAll ${tags.length} tags go with it: ${tags.join(', ')}` : ''}` },
    confirm,
  );
  if (choice !== confirm) return;
  const docker = ui.services.engine.docker();
  try {
    // By ID; with several tags the engine asks for force, which is safe here: nothing depends on it.
    await removeImage(docker, node.image.id, tags.length > 1);
  } catch (err) {
    if (err instanceof ImageConflictError) {
      await ui.source.refresh();
      const fresh = ui.images.fullForest()?.byId.get(node.image.id);
      const freshPlan = fresh ? removalPlan(fresh) : undefined;
      if (freshPlan && (freshPlan.descendants.length || freshPlan.containers.length)) {
        await offerSubtreeRemoval(ui, freshPlan, `The engine refused to remove ${label} (${err.engineMessage}). It is used by ${describeBlockers(freshPlan)}.`);
      } else {
        void vscode.window.showErrorMessage(`The engine refused to remove ${label}: ${err.engineMessage}`);
      }
      return;
    }
    void vscode.window.showErrorMessage(`Could not remove ${label}: ${engineErrorMessage(err)}`);
    return;
  }
  await ui.source.refresh(['images']);
}

async function tagImageCommand(ui: LineageUi, arg: unknown): Promise<void> {
  const node = await pickImage(ui, arg, 'Image to tag');
  if (!node) return;
  // Names as the engine resolves them (Podman: `team/base:1` is also `localhost/team/base:1`).
  const snap = ui.source.snapshot;
  const names = snap ? new LocalImageIndex(snap.images, snap.dialect.names) : undefined;
  const value = await vscode.window.showInputBox({
    title: `Tag ${bestTag(node.image)} (${shortId(node.image.id)})`,
    prompt: 'New tag as repository[:tag], e.g. my-app:1.0 or registry.example.com/team/app:dev',
    value: (node.image.names ?? node.image.repoTags)[0]?.replace(/:[^:/]*$/, ':') ?? '',
    validateInput: (text) => {
      const check = validateImageName(text);
      if (!check.ok) return check.message;
      const moves = names && tagMoveWarning(text, names, node.image.id, (i) => bestTag(i));
      return moves ? { message: moves, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
    },
  });
  if (value === undefined) return;
  const check = validateImageName(value);
  if (!check.ok) return;
  try {
    await tagImage(ui.services.engine.docker(), node.image.id, check.reference.familiar);
    await ui.source.refresh(['images']);
    void vscode.window.showInformationMessage(`Tagged ${shortId(node.image.id)} as ${check.reference.familiar}.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not tag ${bestTag(node.image)} as ${value}: ${engineErrorMessage(err)}`);
  }
}

async function pruneCommand(ui: LineageUi): Promise<void> {
  const forest = await currentForest(ui);
  if (!forest) return;
  const dangling = [...forest.byId.values()].filter((n) => n.dangling);
  if (dangling.length === 0) {
    void vscode.window.showInformationMessage('There are no dangling images to prune.');
    return;
  }
  const bytes = dangling.reduce((s, n) => s + n.uniqueSize, 0);
  const action = `Prune ${dangling.length} Image${dangling.length === 1 ? '' : 's'}`;
  const withContainers = dangling.filter((n) => n.containers.length > 0);
  const choice = await vscode.window.showWarningMessage(
    `Remove ${dangling.length} dangling (untagged) image${dangling.length === 1 ? '' : 's'}, about ${formatBytes(bytes)}?`,
    {
      modal: true,
      detail:
        dangling.map((n) => `${bestTag(n.image)}${n.image.repoDigests[0] ? ` ${n.image.repoDigests[0]}` : ''}`).join('\n') +
        (withContainers.length ? `\n\nThe engine keeps ${withContainers.length} of them because containers use them.` : ''),
    },
    action,
  );
  if (choice !== action) return;
  try {
    const r = await pruneDanglingImages(ui.services.engine.docker());
    await ui.source.refresh(['images']);
    void vscode.window.showInformationMessage(`Pruned dangling images, reclaimed ${formatBytes(r.spaceReclaimed)}.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Prune failed: ${engineErrorMessage(err)}`);
  }
}

/** Markdown table of an image's layers: created-by, size, shared with the parent or own. */
export function layersDocument(node: LineageNode): string {
  const rows = layerRows(node.image, node.parent?.image);
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>`*_[\]]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
  const lines = [
    `# Layers of ${esc(bestTag(node.image))}`,
    '',
    `Image ${node.image.id}, ${node.image.layers.length} layers, ${formatBytes(node.image.size)} total, ${formatBytes(node.uniqueSize)} unique.`,
    node.parent ? `Parent: ${esc(bestTag(node.parent.image))} (${node.rule}).` : 'No local parent.',
    '',
    '| # | Origin | Size | Layer (diff ID) | Created by |',
    '|---|---|---|---|---|',
  ];
  rows.forEach((r, i) =>
    lines.push(
      `| ${i + 1} | ${r.origin === 'own' ? '**own**' : 'shared with parent'} | ${r.empty ? '(no layer)' : formatBytes(r.entry.size)} | ${r.diffId ? shortId(r.diffId) : ''} | ${esc(r.entry.createdBy.slice(0, 300) || r.entry.comment)} |`,
    ),
  );
  if (rows.length === 0) lines.push('| | | | | history not available |');
  return lines.join('\n') + '\n';
}

/** Read-only documents: `container-lineage-inspect:/image/<id>.json`, `/container/<id>.json`, `/layers/<id>.md`. */
class InspectDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly ui: LineageUi) {}
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const [, kind, file] = uri.path.split('/');
    const id = file.replace(/\.(json|md)$/, '');
    const docker = this.ui.services.engine.docker();
    if (kind === 'image') return JSON.stringify(await inspectImage(docker, id), null, 2) + '\n';
    if (kind === 'container') return JSON.stringify(await inspectContainer(docker, id), null, 2) + '\n';
    if (kind === 'layers') {
      const forest = await currentForest(this.ui);
      const node = forest?.byId.get(`sha256:${id}`) ?? forest?.byId.get(id);
      if (!node) return `Image ${id} is not present any more.\n`;
      if (!node.image.history) node.image.history = await this.ui.source.catalog.history(docker, node.image.id);
      if (node.parent && !node.parent.image.history) node.parent.image.history = await this.ui.source.catalog.history(docker, node.parent.image.id);
      return layersDocument(node);
    }
    return `Unknown document ${uri.toString()}\n`;
  }
}

/** Open a read-only document of the inspect scheme. */
export async function openInspectDocument(kind: 'image' | 'container' | 'layers', id: string): Promise<vscode.TextDocument> {
  const bare = id.replace(/^sha256:/, '');
  const uri = vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${kind}/${bare}.${kind === 'layers' ? 'md' : 'json'}` });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}

/** Register the image commands. */
export function registerImageCommands(ui: LineageUi): void {
  const { context } = ui.services;
  const run = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        ui.services.log.error(`${id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(engineErrorMessage(err));
      }
    });
  const reveal = async (node: LineageNode, expand: boolean | number = false) => {
    let el: ImageElement | undefined = ui.images.elementFor(node.image.id);
    if (!el && node.dangling) {
      void vscode.window.showInformationMessage(`${bestTag(node.image)} is dangling and dangling images are hidden (toggle in the view title).`);
      return;
    }
    if (el) await ui.imagesView.reveal(el, { select: true, focus: true, expand });
  };

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, new InspectDocuments(ui)),
    run('containerLineage.images.refresh', () => ui.source.refresh()),
    // Reveal and select an image by ID (used after a build or commit). Focuses the Images view
    // first: nothing is fetched while it is hidden.
    run('containerLineage.images.reveal', async (id) => {
      if (typeof id !== 'string' || !id) return;
      await vscode.commands.executeCommand('containerLineage.images.focus');
      await ui.source.refresh(['images']);
      const node = (await currentForest(ui))?.byId.get(id);
      if (node) await reveal(node);
    }),
    run('containerLineage.images.hideDangling', () => vscode.workspace.getConfiguration('containerLineage').update(SHOW_DANGLING_SETTING, false, vscode.ConfigurationTarget.Global)),
    run('containerLineage.images.showDangling', () => vscode.workspace.getConfiguration('containerLineage').update(SHOW_DANGLING_SETTING, true, vscode.ConfigurationTarget.Global)),
    run('containerLineage.image.revealParent', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose parent to reveal');
      if (!node) return;
      if (!node.parent) {
        void vscode.window.showInformationMessage(
          node.rule === 'base-not-present'
            ? `${bestTag(node.image)} was built on a base that is not present locally (${node.ruleDetail ?? 'no detail'}).`
            : `${bestTag(node.image)} is a root image: no local image is its base.`,
        );
        return;
      }
      await reveal(node.parent);
    }),
    run('containerLineage.image.showChildren', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose children to show');
      if (!node) return;
      const descendants = [...walk([node])].slice(1);
      if (descendants.length === 0) {
        void vscode.window.showInformationMessage(`No local image is built on ${bestTag(node.image)}.`);
        return;
      }
      await reveal(node, 1);
      const picked = await vscode.window.showQuickPick(
        descendants.map((d) => ({ label: `${'  '.repeat(d.depth - node.depth - 1)}${bestTag(d.image)}`, description: `${shortId(d.image.id)} · ${d.rule}`, node: d })),
        { placeHolder: `${descendants.length} image(s) built on ${bestTag(node.image)}: pick one to reveal` },
      );
      if (picked) await reveal(picked.node);
    }),
    run('containerLineage.image.inspect', async (arg) => {
      const node = await pickImage(ui, arg, 'Image to inspect');
      if (node) return openInspectDocument('image', node.image.id);
    }),
    run('containerLineage.image.showLayers', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose layers to show');
      if (node) return openInspectDocument('layers', node.image.id);
    }),
    run('containerLineage.image.copyId', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose ID to copy');
      if (node) await vscode.env.clipboard.writeText(node.image.id);
    }),
    run('containerLineage.image.copyTag', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose tag to copy');
      if (!node) return;
      const tags = node.image.repoTags.length ? node.image.repoTags : node.image.repoDigests;
      if (tags.length === 0) {
        void vscode.window.showInformationMessage(`${bestTag(node.image)} has no tag or digest; copy its ID instead.`);
        return;
      }
      const tag = tags.length === 1 ? tags[0] : await vscode.window.showQuickPick(tags, { placeHolder: 'Tag to copy' });
      if (tag) await vscode.env.clipboard.writeText(tag);
    }),
    run('containerLineage.image.tag', (arg) => tagImageCommand(ui, arg)),
    run('containerLineage.image.remove', (arg) => removeImageCommand(ui, arg)),
    run('containerLineage.images.pruneDangling', () => pruneCommand(ui)),
  );
}
