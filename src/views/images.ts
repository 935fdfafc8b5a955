/**
 * Images view: the lineage forest (base → derived) with each image's containers as its
 * instances; and the registration of the whole lineage feature (source, both views, commands).
 *
 * Tree item IDs are built from image/container IDs only (`image:<id>`,
 * `image:<id>/container:<id>`), never from changing text, so VS Code keeps expansion and
 * selection across refreshes. Data flows engine → LineageSource → buildLineage → items.
 */
import { classifyContainer } from '../core/labels';
import * as vscode from 'vscode';
import {
  bestTag,
  buildLineage,
  shortId,
  type ContainerRecord,
  type LineageForest,
  type LineageNode,
} from '../core/lineage';
import { formatAge, formatBytes, plural } from '../core/format';
import { ruleTooltip } from '../core/ruleWords';
import type { LineageSource } from '../engine/lineageSource';
import { RelativeTimes, type TimeRenderer } from './relativeTime';
import { lineageSourceFor } from './sharedSource';
import type { Services } from '../services';
import { createEngineAwareTreeView, type EngineNotice } from './engineMessage';
import { ContainersProvider, containerIcon, containerTooltip } from './containers';
import { registerImageCommands } from '../commands/images';
import { registerContainerCommands } from '../commands/containers';

export const IMAGES_VIEW = 'containerLineage.images';
export const CONTAINERS_VIEW = 'containerLineage.containers';
export const SHOW_DANGLING_SETTING = 'images.showDangling';
export const SHOW_CONTAINERS_SETTING = 'images.showContainers';
/** Context key mirroring the showDangling setting (view/title toggle buttons). */
export const SHOW_DANGLING_KEY = 'containerLineage.images.showDangling';

/** An image in the Images view. */
export interface ImageElement {
  readonly kind: 'image';
  readonly node: LineageNode;
}

/** A container: under its image in the Images view, or in a state group in the Containers view. */
export interface ContainerElement {
  readonly kind: 'container';
  readonly container: ContainerRecord;
  /** The image node it hangs under (Images view only). */
  readonly under?: ImageElement;
}

export type ImagesElement = ImageElement | ContainerElement;

/** Images tree data provider over a {@link LineageSource}. */
export class ImagesProvider implements vscode.TreeDataProvider<ImagesElement>, vscode.Disposable, TimeRenderer {
  private readonly changed = new vscode.EventEmitter<ImagesElement | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private forestCache: { version: number; hide: boolean; forest: LineageForest } | undefined;
  private elements = new Map<string, ImageElement>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly source: LineageSource,
    private readonly times?: RelativeTimes,
  ) {
    const sub = source.onDidChange(() => this.changed.fire());
    this.subscriptions.push(
      new vscode.Disposable(() => sub.dispose()),
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`containerLineage.${SHOW_DANGLING_SETTING}`) || e.affectsConfiguration(`containerLineage.${SHOW_CONTAINERS_SETTING}`)) this.changed.fire();
      }),
    );
  }

  /** The forest as currently shown (dangling hidden or not), or undefined before the first load. */
  forest(): LineageForest | undefined {
    const snap = this.source.snapshot;
    if (!snap) return undefined;
    const hide = !showDangling();
    if (this.forestCache?.version !== snap.version || this.forestCache.hide !== hide) {
      this.forestCache = { version: snap.version, hide, forest: buildLineage(snap.images, snap.containers, { hideDangling: hide }) };
      this.elements = new Map();
    }
    return this.forestCache.forest;
  }

  /** The full forest including dangling images (for removal plans and commands). */
  fullForest(): LineageForest | undefined {
    const snap = this.source.snapshot;
    return snap ? buildLineage(snap.images, snap.containers) : undefined;
  }

  /** The element for an image ID in the current forest (same object across calls until the next change). */
  elementFor(imageId: string): ImageElement | undefined {
    const node = this.forest()?.byId.get(imageId);
    if (!node) return undefined;
    let e = this.elements.get(imageId);
    if (!e || e.node !== node) this.elements.set(imageId, (e = { kind: 'image', node }));
    return e;
  }

  getTreeItem(element: ImagesElement): vscode.TreeItem {
    return element.kind === 'image' ? imageItem(element.node) : containerUnderImageItem(element, this.times);
  }

  /** Re-render the items (ages, container statuses) from the cached model: no engine request. */
  refreshTimes(): void {
    this.changed.fire();
  }

  getChildren(element?: ImagesElement): ImagesElement[] {
    const forest = this.forest();
    if (!forest) return [];
    if (!element) return forest.roots.map((n) => this.elementFor(n.image.id)!);
    if (element.kind === 'container') return [];
    const node = forest.byId.get(element.node.image.id);
    if (!node) return [];
    const children: ImagesElement[] = node.children.map((c) => this.elementFor(c.image.id)!);
    if (showContainers()) {
      const under = this.elementFor(node.image.id)!;
      for (const c of node.containers) children.push({ kind: 'container', container: c, under });
    }
    return children;
  }

  getParent(element: ImagesElement): ImagesElement | undefined {
    if (element.kind === 'container') return element.under;
    const parent = this.forest()?.byId.get(element.node.image.id)?.parent;
    return parent ? this.elementFor(parent.image.id) : undefined;
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('containerLineage');
}
/** Current value of `containerLineage.images.showDangling` (default true). */
export function showDangling(): boolean {
  return config().get<boolean>(SHOW_DANGLING_SETTING, true);
}
/** Current value of `containerLineage.images.showContainers` (default true). */
export function showContainers(): boolean {
  return config().get<boolean>(SHOW_CONTAINERS_SETTING, true);
}

/** Tree item for an image node. Engine strings go into the tooltip as text, never as markdown. */
export function imageItem(node: LineageNode, now = Date.now()): vscode.TreeItem {
  const image = node.image;
  const hasChildren = node.children.length > 0 || (showContainers() && node.containers.length > 0);
  // Expanded for the first levels (base → child → grandchild visible at once), collapsed deeper.
  const state = !hasChildren ? vscode.TreeItemCollapsibleState.None : node.depth < 3 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(bestTag(image), state);
  item.id = `image:${image.id}`;
  const flags = [node.dangling ? 'dangling' : undefined, node.rule === 'base-not-present' ? 'base not present' : undefined].filter(Boolean);
  item.description = `${formatBytes(node.uniqueSize)} · ${formatAge(image.created, now)}${flags.length ? ` · ${flags.join(', ')}` : ''}`;
  item.tooltip = imageTooltip(node, now);
  item.iconPath = new vscode.ThemeIcon(node.dangling ? 'circle-large-outline' : node.rule === 'base-not-present' ? 'warning' : 'package');
  item.contextValue = node.dangling ? 'image.dangling' : 'image';
  return item;
}

/** Tooltip: all tags, ID, digests, created, sizes, layer count, parent rule. Plain text only. */
export function imageTooltip(node: LineageNode, now = Date.now()): vscode.MarkdownString {
  const image = node.image;
  const md = new vscode.MarkdownString();
  const line = (label: string, value: string) => {
    md.appendMarkdown(`**${label}:** `);
    md.appendText(value);
    md.appendMarkdown('  \n');
  };
  line('Tags', image.repoTags.length ? image.repoTags.join(', ') : '(none: dangling)');
  line('ID', image.id);
  if (image.repoDigests.length) line('Digests', image.repoDigests.join(', '));
  line('Created', Number.isFinite(image.created) ? `${new Date(image.created).toISOString()} (${formatAge(image.created, now)})` : 'unknown');
  line('Size', `${formatBytes(image.size)} total, ${formatBytes(node.uniqueSize)} unique`);
  line('Layers', plural(image.layers.length, 'filesystem layer'));
  const parent = node.parent ? `${bestTag(node.parent.image)} (${shortId(node.parent.image.id)})` : 'none';
  line('Parent', parent);
  line('Parent found', ruleTooltip(node));
  if (node.containers.length) line('Containers', node.containers.map((c) => `${c.names[0] ?? shortId(c.id)} (${c.state})`).join(', '));
  return md;
}

function containerUnderImageItem(element: ContainerElement, times?: RelativeTimes): vscode.TreeItem {
  const c = element.container;
  const item = new vscode.TreeItem(c.names[0] ?? shortId(c.id), vscode.TreeItemCollapsibleState.None);
  item.id = `image:${c.imageId}/container:${c.id}`;
  const mark = classifyContainer(c.labels); // throwaway / pooled containers are marked
  const status = times?.containerStatus(c) ?? c.status;
  item.description = `${mark ? `${mark} · ` : ''}${c.state} · ${status}`;
  item.tooltip = containerTooltip(c, undefined, status);
  item.iconPath = containerIcon(c.state);
  item.contextValue = containerContext(c.state, c.labels);
  return item;
}

/**
 * Context value for container items: `container.running`, `container.paused`,
 * `container.stopped`, with `.pooled` appended for warm-pool containers (not offered for commit:
 * each serves one transaction and is destroyed).
 */
export function containerContext(state: string, labels?: Readonly<Record<string, string>> | null): string {
  const base = state === 'running' || state === 'restarting' ? 'container.running' : state === 'paused' ? 'container.paused' : 'container.stopped';
  return classifyContainer(labels) === 'pooled' ? `${base}.pooled` : base;
}

/** What the lineage commands receive. */
export interface LineageUi {
  readonly services: Services;
  readonly source: LineageSource;
  readonly images: ImagesProvider;
  readonly imagesView: vscode.TreeView<ImagesElement | EngineNotice>;
  readonly containers: ContainersProvider;
  readonly containersView: vscode.TreeView<unknown>;
}

/**
 * Register the lineage feature: the {@link LineageSource}, the Images and Containers views (behind
 * the engine gate: disconnected → notice items + message), visibility-driven fetching (nothing
 * is fetched while both views are hidden), the showDangling context key, and the commands.
 */
export function registerLineage(services: Services): LineageUi {
  const { context, engine } = services;
  const source = lineageSourceFor(services);
  const times = new RelativeTimes(source);
  const images = new ImagesProvider(source, times);
  const containers = new ContainersProvider(source, times);
  context.subscriptions.push(times, images, containers);
  const imagesView = createEngineAwareTreeView(IMAGES_VIEW, images, engine, context.subscriptions, { showCollapseAll: true });
  const containersView = createEngineAwareTreeView(CONTAINERS_VIEW, containers, engine, context.subscriptions, { showCollapseAll: true });
  times.add(images, imagesView as vscode.TreeView<unknown>);
  times.add(containers, containersView as vscode.TreeView<unknown>);

  // Each visible view holds the source active; hidden views fetch nothing.
  for (const view of [imagesView, containersView] as vscode.TreeView<unknown>[]) {
    let hold: { dispose(): void } | undefined;
    const sync = () => {
      if (view.visible && !hold) hold = source.acquire();
      else if (!view.visible && hold) {
        hold.dispose();
        hold = undefined;
      }
    };
    sync();
    context.subscriptions.push(view.onDidChangeVisibility(sync), new vscode.Disposable(() => hold?.dispose()));
  }

  const setKey = () => void vscode.commands.executeCommand('setContext', SHOW_DANGLING_KEY, showDangling());
  setKey();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`containerLineage.${SHOW_DANGLING_SETTING}`)) setKey();
    }),
  );

  const ui: LineageUi = { services, source, images, imagesView, containers, containersView: containersView as vscode.TreeView<unknown> };
  registerImageCommands(ui);
  registerContainerCommands(ui);
  // Test/diagnostic hook (not in the palette): the views as plain data, rendered by the providers.
  context.subscriptions.push(
    vscode.commands.registerCommand('containerLineage.internal.renderTree', async (view: 'images' | 'containers' = 'images', refresh = true) => {
      if (refresh) await source.refresh();
      return renderTree<unknown>((view === 'containers' ? containers : images) as vscode.TreeDataProvider<unknown>);
    }),
  );
  return ui;
}

/** Plain-data rendering of the Images view, as the provider returns it (tests, diagnostics). */
export interface RenderedItem {
  id?: string;
  label: string;
  description?: string;
  contextValue?: string;
  tooltip?: string;
  children: RenderedItem[];
}

/** Walk a provider the way VS Code does (getChildren + getTreeItem), into plain data. */
export async function renderTree<T>(provider: vscode.TreeDataProvider<T>, element?: T, depth = 0): Promise<RenderedItem[]> {
  const children = (await provider.getChildren(element)) ?? [];
  const out: RenderedItem[] = [];
  for (const child of children) {
    const item = await provider.getTreeItem(child);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    out.push({
      id: item.id,
      label,
      description: typeof item.description === 'string' ? item.description : undefined,
      contextValue: item.contextValue,
      tooltip: typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value,
      children: depth < 20 ? await renderTree(provider, child, depth + 1) : [],
    });
  }
  return out;
}
