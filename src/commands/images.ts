/**
 * Image commands for the Images view (context menus, view title and palette): refresh, toggle
 * dangling images, reveal parent, show children, inspect (read-only JSON document named by tag),
 * copy ID/tag, tag, prune dangling images (modal confirmation) and show layers (a rendered,
 * read-only report named by tag). Removal and untagging are in `imageRemoval.ts`.
 */
import * as vscode from 'vscode';
import { bestTag, shortId, walk, type LineageForest, type LineageNode } from '../core/lineage';
import { formatBytes, plural } from '../core/format';
import { layersReport } from '../core/layersReport';
import { RULE_WORDS } from '../core/ruleWords';
import { tagMoveWarning, validateImageName } from '../core/tagname';
import { LocalImageIndex } from '../core/reference';
import { engineErrorMessage, inspectImage, pruneDanglingImages, tagImage } from '../engine/images';
import { inspectContainer } from '../engine/containers';
import type { ImageElement, ImagesElement, LineageUi } from '../views/images';
import { SHOW_DANGLING_SETTING } from '../views/images';
import { showReport, tabFileName } from '../views/reports';
import { confirmDestructive } from './confirm';
import { registerImageRemoval } from './imageRemoval';
import { currentForest, pickImage, revealImage } from './imagePick';

/** URI scheme of the read-only documents (inspect JSON, layer tables). */
export const INSPECT_SCHEME = 'container-lineage-inspect';

async function tagImageCommand(ui: LineageUi, arg: unknown): Promise<void> {
  const node = await pickImage(ui, arg, 'Image to tag', 'Tag Image');
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
  const action = `Prune ${plural(dangling.length, 'Image')}`;
  const withContainers = dangling.filter((n) => n.containers.length > 0);
  const choice = await confirmDestructive(
    `Remove ${plural(dangling.length, 'dangling (untagged) image')}, about ${formatBytes(bytes)}?`,
    dangling.map((n) => `${bestTag(n.image)}${n.image.repoDigests[0] ? ` ${n.image.repoDigests[0]}` : ''}`).join('\n') +
      (withContainers.length ? `\n\nThe engine keeps ${withContainers.length} of them because containers use them.` : ''),
    action,
    dangling.length === 1 ? 'Keep It' : 'Keep Them',
  );
  if (choice !== 'action') return;
  try {
    const r = await pruneDanglingImages(ui.services.engine.docker());
    await ui.source.refresh(['images']);
    void vscode.window.showInformationMessage(`Pruned dangling images, reclaimed ${formatBytes(r.spaceReclaimed)}.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Prune failed: ${engineErrorMessage(err)}`);
  }
}

/**
 * Read-only JSON documents `container-lineage-inspect:/image/<tag>.json?<id>` and
 * `/container/<name>.json?<id>`: named by tag (or container name) for the tab, the ID in the query.
 */
class InspectDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly ui: LineageUi) {}
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const kind = uri.path.split('/')[1];
    const id = uri.query;
    const docker = this.ui.services.engine.docker();
    if (kind === 'image') return JSON.stringify(await inspectImage(docker, id), null, 2) + '\n';
    if (kind === 'container') return JSON.stringify(await inspectContainer(docker, id), null, 2) + '\n';
    return `Unknown document ${uri.toString()}\n`;
  }
}

/**
 * Open a read-only inspect document named `name` (a tag or container name) for the image or
 * container `id`.
 */
export async function openInspectDocument(kind: 'image' | 'container', id: string, name: string): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${kind}/${tabFileName(name)}.json`, query: id });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}

/** The layers report of an image, rendered (history fetched where the model lacks it). */
async function showLayers(ui: LineageUi, node: LineageNode): Promise<vscode.Uri> {
  const id = node.image.id;
  return showReport(ui.services.context, `Layers of ${bestTag(node.image)}`, async () => {
    const fresh = (await currentForest(ui))?.byId.get(id);
    if (!fresh) return `# Image ${shortId(id)} is not present any more\n`;
    const docker = ui.services.engine.docker();
    if (!fresh.image.history) fresh.image.history = await ui.source.catalog.history(docker, fresh.image.id);
    if (fresh.parent && !fresh.parent.image.history) fresh.parent.image.history = await ui.source.catalog.history(docker, fresh.parent.image.id);
    return layersReport(fresh);
  });
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
  const reveal = (node: LineageNode, expand: boolean | number = false) => revealImage(ui, node, expand);

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
        descendants.map((d) => ({ label: `${'  '.repeat(d.depth - node.depth - 1)}${bestTag(d.image)}`, description: `${shortId(d.image.id)} · ${formatBytes(d.uniqueSize)} · ${RULE_WORDS[d.rule]}`, node: d })),
        { placeHolder: `${plural(descendants.length, 'image')} built on ${bestTag(node.image)}: pick one to reveal` },
      );
      if (picked) await reveal(picked.node);
    }),
    run('containerLineage.image.inspect', async (arg) => {
      const node = await pickImage(ui, arg, 'Image to inspect');
      if (node) return openInspectDocument('image', node.image.id, bestTag(node.image));
    }),
    run('containerLineage.image.showLayers', async (arg) => {
      const node = await pickImage(ui, arg, 'Image whose layers to show');
      if (node) return showLayers(ui, node);
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
    run('containerLineage.images.pruneDangling', () => pruneCommand(ui)),
  );
  registerImageRemoval(ui, run);
}
