/**
 * Images view: the lineage forest (base → derived) with each image's containers as its
 * instances, and the creation of both lineage views over one source. The feature's wiring (these
 * views plus their commands) is `commands/imagesFeature.ts`: views never import commands.
 *
 * Tree item IDs are built from image/container IDs only (`image:<id>`,
 * `image:<id>/container:<id>`), never from changing text, so VS Code keeps expansion and
 * selection across refreshes. Data flows engine → LineageSource → buildLineage → items.
 */
import { classifyContainer } from '../core/labels';
import { containerStateGroup } from '../core/dialect';
import * as vscode from 'vscode';
import {
  bestTag,
  buildLineage,
  shortId,
  type ContainerRecord,
  type LineageForest,
  type LineageNode,
} from '../core/lineage';
import { formatAge, formatAgeToTheMinute, formatBytes, plural } from '../core/format';
import { ruleTooltip } from '../core/ruleWords';
import type { LineageSource } from '../engine/lineageSource';
import { RelativeTimes, type TimeRenderer } from './relativeTime';
import { lineageSourceFor } from './sharedSource';
import type { Services } from '../services';
import { createEngineAwareTreeView, type EngineNotice } from './engineMessage';
import { ContainersProvider, containerIcon, containerTooltip } from './containers';
import { decorateImageItem, imageItemDecorators } from './imageDecorations';

export const IMAGES_VIEW = 'containerLineage.images';
export const CONTAINERS_VIEW = 'containerLineage.containers';
export const SHOW_DANGLING_SETTING = 'images.showDangling';
export const SHOW_CONTAINERS_SETTING = 'images.showContainers';
/** Context key mirroring the showDangling setting (view/title toggle buttons). */
export const SHOW_DANGLING_KEY = 'containerLineage.images.showDangling';
/** Context key: true while the engine is connected and lists no container (the Containers view's welcome shows). */
export const CONTAINERS_EMPTY_KEY = 'containerLineage.containers.empty';

/** An image in the Images view. */
export interface ImageElement {
  readonly kind: 'image';
  /** The image's node in the current model (the element object stays the same across refreshes). */
  node: LineageNode;
}

/** A container: under its image in the Images view, or in a state group in the Containers view. */
export interface ContainerElement {
  readonly kind: 'container';
  container: ContainerRecord;
  /** The image node it hangs under (Images view only). */
  readonly under?: ImageElement;
}

export type ImagesElement = ImageElement | ContainerElement;

/** Images tree data provider over a {@link LineageSource}. */
export class ImagesProvider implements vscode.TreeDataProvider<ImagesElement>, vscode.Disposable, TimeRenderer {
  private readonly changed = new vscode.EventEmitter<ImagesElement | ImagesElement[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private forestCache: { version: number; hide: boolean; forest: LineageForest } | undefined;
  /** One element object per image ID for as long as the image is shown (VS Code maps handles by object). */
  private readonly elements = new Map<string, ImageElement>();
  private readonly containerElements = new Map<string, ContainerElement>();
  /** The description each element was last rendered with (to re-render only what changed). */
  private readonly shown = new Map<ImagesElement, string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly source: LineageSource,
    private readonly times?: RelativeTimes,
  ) {
    const sub = source.onDidChange(() => this.onModelChange());
    this.subscriptions.push(
      new vscode.Disposable(() => sub.dispose()),
      imageItemDecorators.onDidChange(() => this.changed.fire()),
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`containerLineage.${SHOW_DANGLING_SETTING}`) || e.affectsConfiguration(`containerLineage.${SHOW_CONTAINERS_SETTING}`)) this.onModelChange();
      }),
    );
  }

  /**
   * A new snapshot (or setting): the element objects stay (one per image ID, their node updated)
   * and the whole tree is refreshed; elements of images no longer shown are dropped.
   */
  private onModelChange(): void {
    const forest = this.forest();
    for (const node of forest?.byId.values() ?? []) {
      const element = this.elements.get(node.image.id);
      if (element) element.node = node;
    }
    for (const id of [...this.elements.keys()]) if (!forest?.byId.has(id)) this.forget(id);
    const shownContainers = new Set([...(forest?.byId.values() ?? [])].flatMap((n) => n.containers.map((c) => `${n.image.id}/${c.id}`)));
    for (const [key, ce] of this.containerElements) {
      if (shownContainers.has(key)) continue;
      this.shown.delete(ce);
      this.containerElements.delete(key);
    }
    this.changed.fire();
  }

  private forget(imageId: string): void {
    const e = this.elements.get(imageId);
    if (e) this.shown.delete(e);
    this.elements.delete(imageId);
  }

  /** The forest as currently shown (dangling hidden or not), or undefined before the first load. */
  forest(): LineageForest | undefined {
    const snap = this.source.snapshot;
    if (!snap) return undefined;
    const hide = !showDangling();
    if (this.forestCache?.version !== snap.version || this.forestCache.hide !== hide) {
      this.forestCache = { version: snap.version, hide, forest: buildLineage(snap.images, snap.containers, { hideDangling: hide, names: snap.dialect.names }) };
    }
    return this.forestCache.forest;
  }

  /** The full forest including dangling images (for removal plans and commands). */
  fullForest(): LineageForest | undefined {
    const snap = this.source.snapshot;
    return snap ? buildLineage(snap.images, snap.containers, { names: snap.dialect.names }) : undefined;
  }

  /** The element for an image ID in the current forest (the same object for as long as the image is shown). */
  elementFor(imageId: string): ImageElement | undefined {
    const node = this.forest()?.byId.get(imageId);
    if (!node) return undefined;
    let e = this.elements.get(imageId);
    if (!e) this.elements.set(imageId, (e = { kind: 'image', node }));
    e.node = node;
    return e;
  }

  getTreeItem(element: ImagesElement): vscode.TreeItem {
    const item = element.kind === 'image' ? this.render(element.node) : containerUnderImageItem(element, this.times);
    this.shown.set(element, String(item.description ?? ''));
    return item;
  }

  /** An image's item as shown: the view's rendering plus every feature's decoration (imageDecorations.ts). */
  private render(node: LineageNode, now = Date.now()): vscode.TreeItem {
    const snap = this.source.snapshot;
    return decorateImageItem(imageItem(node, now), node, snap?.images ?? [], snap?.dialect.names);
  }

  /**
   * Re-render, from the cached model (no engine request), only the items whose relative time
   * (image age, container status) reads differently now. A whole-tree refresh would drop every
   * item handle until VS Code fetched them again, and a context-menu command run in that
   * moment would lose its item.
   */
  refreshTimes(): void {
    const now = Date.now();
    const stale: ImagesElement[] = [];
    for (const [element, description] of this.shown) {
      const current = element.kind === 'image' ? String(this.render(element.node, now).description ?? '') : containerUnderImageDescription(element.container, this.times, now);
      if (current !== description) stale.push(element);
    }
    if (stale.length) this.changed.fire(stale);
  }

  /** The element of a container under its image (the same object for as long as it is shown there). */
  private containerElement(c: ContainerRecord, under: ImageElement): ContainerElement {
    const key = `${under.node.image.id}/${c.id}`;
    let e = this.containerElements.get(key);
    if (!e) this.containerElements.set(key, (e = { kind: 'container', container: c, under }));
    e.container = c;
    return e;
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
      for (const c of node.containers) children.push(this.containerElement(c, under));
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

/**
 * Tree item for an image node: label the best tag as the user types it (`team/base:1` for
 * Podman's `localhost/team/base:1`), description `+N` when the image has N more tags, then unique
 * size and age. Engine strings go into the tooltip (full tag names) as text, never as markdown.
 */
export function imageItem(node: LineageNode, now = Date.now()): vscode.TreeItem {
  const image = node.image;
  const hasChildren = node.children.length > 0 || (showContainers() && node.containers.length > 0);
  // Expanded for the first levels (base → child → grandchild visible at once), collapsed deeper.
  const state = !hasChildren ? vscode.TreeItemCollapsibleState.None : node.depth < 3 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(bestTag(image), state);
  item.id = `image:${image.id}`;
  item.description = imageDescription(node, now);
  item.tooltip = imageTooltip(node, now);
  item.iconPath = new vscode.ThemeIcon(node.dangling ? 'circle-large-outline' : node.rule === 'base-not-present' ? 'warning' : 'package');
  item.contextValue = node.dangling ? 'image.dangling' : 'image';
  return item;
}

/** An image item's description: unique size, age (to the minute), and flags (dangling, base not present). */
export function imageDescription(node: LineageNode, now = Date.now()): string {
  const flags = [node.dangling ? 'dangling' : undefined, node.rule === 'base-not-present' ? 'base not present' : undefined].filter(Boolean);
  const more = node.image.repoTags.length > 1 ? `+${node.image.repoTags.length - 1} · ` : '';
  return `${more}${formatBytes(node.uniqueSize)} · ${formatAgeToTheMinute(node.image.created, now)}${flags.length ? ` · ${flags.join(', ')}` : ''}`;
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
  const status = times?.containerStatus(c) ?? c.status;
  item.description = containerUnderImageDescription(c, times);
  item.tooltip = containerTooltip(c, undefined, status);
  item.iconPath = containerIcon(c.state);
  item.contextValue = containerContext(c.state, c.labels);
  return item;
}

/** A container's description under its image: its mark (throwaway, pooled), state and status now. */
function containerUnderImageDescription(c: ContainerRecord, times: RelativeTimes | undefined, now = Date.now()): string {
  const mark = classifyContainer(c.labels);
  return `${mark ? `${mark} · ` : ''}${c.state} · ${times?.containerStatus(c, now) ?? c.status}`;
}

/**
 * Context value for container items by state group (core/dialect): `container.running` (also
 * restarting and Podman's stopping), `container.paused`, `container.stopped` (everything else),
 * with `.pooled` appended for warm-pool containers (not offered for commit: each serves one
 * transaction and is destroyed).
 */
export function containerContext(state: string, labels?: Readonly<Record<string, string>> | null): string {
  const group = containerStateGroup(state);
  const base = group === 'running' || group === 'restarting' || group === 'stopping' ? 'container.running' : group === 'paused' ? 'container.paused' : 'container.stopped';
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
 * Create the lineage views: the {@link LineageSource}, the Images and Containers views (behind
 * the engine gate: disconnected → notice items + message), visibility-driven fetching (nothing
 * is fetched while both views are hidden), the showDangling context key and the renderTree test
 * hook. The commands are registered by `commands/imagesFeature.ts` over the returned UI.
 * @returns the views and their source, for the feature's commands.
 */
export function createLineageViews(services: Services): LineageUi {
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

  // The Containers view's welcome ("No containers", how to make one) shows while this key is
  // true: only once a snapshot says there are none, never while loading or disconnected.
  let empty: boolean | undefined;
  const syncEmpty = () => {
    const now = source.snapshot ? source.snapshot.containers.length === 0 : false;
    if (now === empty) return;
    empty = now;
    void vscode.commands.executeCommand('setContext', CONTAINERS_EMPTY_KEY, now);
  };
  syncEmpty();
  const emptySub = source.onDidChange(syncEmpty);
  context.subscriptions.push(new vscode.Disposable(() => emptySub.dispose()));

  const setKey = () => void vscode.commands.executeCommand('setContext', SHOW_DANGLING_KEY, showDangling());
  setKey();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`containerLineage.${SHOW_DANGLING_SETTING}`)) setKey();
    }),
  );

  const ui: LineageUi = { services, source, images, imagesView, containers, containersView: containersView as vscode.TreeView<unknown> };
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
