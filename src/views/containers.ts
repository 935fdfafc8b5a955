/**
 * Containers view: every container grouped by state (running, paused, restarting, stopping,
 * created, exited, dead, removing, then an "unknown" fallback; Podman's states in the group
 * core/dialect maps them to, the state itself in the description), each showing the image it was created from,
 * linked by `ImageID`: when the image was re-tagged or deleted the view still shows its ID.
 * Item IDs: `state:<state>` and `container:<id>` (stable across refreshes and state changes).
 */
import * as vscode from 'vscode';
import { bestTag, groupContainersByState, shortId, type ContainerRecord, type ImageRecord } from '../core/lineage';
import type { LineageSource } from '../engine/lineageSource';
import { containerContext } from './images';
import { classifyContainer } from '../core/labels';
import type { RelativeTimes, TimeRenderer } from './relativeTime';
import { containerStateGroup } from '../core/dialect';

export interface StateGroupElement {
  readonly kind: 'state';
  readonly state: string;
  readonly containers: ContainerRecord[];
}

export interface ContainerRowElement {
  readonly kind: 'container';
  readonly container: ContainerRecord;
  readonly group: StateGroupElement;
}

export type ContainersElement = StateGroupElement | ContainerRowElement;

const STATE_LABELS: Record<string, string> = {
  running: 'Running',
  paused: 'Paused',
  restarting: 'Restarting',
  stopping: 'Stopping',
  created: 'Created',
  exited: 'Exited',
  dead: 'Dead',
  removing: 'Removing',
  unknown: 'Unknown state',
};

/** Theme icon for a container state (by its group, core/dialect). */
export function containerIcon(state: string): vscode.ThemeIcon {
  switch (containerStateGroup(state)) {
    case 'running':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'paused':
      return new vscode.ThemeIcon('debug-pause');
    case 'restarting':
      return new vscode.ThemeIcon('sync');
    case 'stopping':
      return new vscode.ThemeIcon('debug-stop');
    case 'created':
      return new vscode.ThemeIcon('vm');
    case 'exited':
      return new vscode.ThemeIcon('vm-outline');
    case 'dead':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'removing':
      return new vscode.ThemeIcon('trash');
    default:
      return new vscode.ThemeIcon('question');
  }
}

/** How a container's image is named: current best tag of its ImageID, else the short ID. */
export function containerImageLabel(c: ContainerRecord, imagesById: ReadonlyMap<string, ImageRecord>): string {
  const image = imagesById.get(c.imageId);
  if (image) return bestTag(image);
  return `${shortId(c.imageId)} (image removed)`;
}

/** Tooltip for a container (plain text, engine strings never rendered as markdown). */
export function containerTooltip(c: ContainerRecord, imageLabel?: string, status = c.status): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const line = (label: string, value: string) => {
    md.appendMarkdown(`**${label}:** `);
    md.appendText(value);
    md.appendMarkdown('  \n');
  };
  line('Name', c.names.join(', ') || '(none)');
  line('ID', c.id);
  line('State', `${c.state || 'unknown'} (${status})`);
  if (imageLabel) line('Image', imageLabel);
  line('Image ID', c.imageId);
  if (c.image && c.image !== c.imageId) line('Created from', c.image);
  if (c.created) line('Created', new Date(c.created * 1000).toISOString());
  return md;
}

/** Containers tree data provider over a {@link LineageSource}. */
export class ContainersProvider implements vscode.TreeDataProvider<ContainersElement>, vscode.Disposable, TimeRenderer {
  private readonly changed = new vscode.EventEmitter<ContainersElement | ContainersElement[] | undefined | void>();
  /** The description each row was last rendered with (to re-render only what changed). */
  private shown = new Map<ContainerRowElement, string>();
  readonly onDidChangeTreeData = this.changed.event;
  private cache: { version: number; groups: StateGroupElement[]; imagesById: Map<string, ImageRecord>; rows: Map<string, ContainerRowElement> } | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly source: LineageSource,
    private readonly times?: RelativeTimes,
  ) {
    const sub = source.onDidChange(() => this.changed.fire());
    this.subscriptions.push(new vscode.Disposable(() => sub.dispose()), this.changed);
  }

  /**
   * Re-render, from the cached model (no engine request), only the rows whose status ("Up 5
   * minutes") reads differently now; the other items keep their handles.
   */
  refreshTimes(): void {
    const m = this.model();
    if (!m) return;
    const now = Date.now();
    const stale = [...this.shown].filter(([row, text]) => this.rowDescription(row.container, m.imagesById, now) !== text).map(([row]) => row);
    if (stale.length) this.changed.fire(stale);
  }

  private rowDescription(c: ContainerRecord, imagesById: ReadonlyMap<string, ImageRecord>, now = Date.now()): string {
    const mark = classifyContainer(c.labels);
    // A Podman state shown in another group (stopped under Exited) says which it is.
    const state = c.state && containerStateGroup(c.state) !== c.state ? `${c.state} · ` : '';
    return `${mark ? `${mark} · ` : ''}${state}${containerImageLabel(c, imagesById)} · ${this.times?.containerStatus(c, now) ?? c.status}`;
  }

  private model() {
    const snap = this.source.snapshot;
    if (!snap) return undefined;
    if (this.cache?.version !== snap.version) {
      const groups: StateGroupElement[] = [];
      const rows = new Map<string, ContainerRowElement>();
      for (const [state, containers] of groupContainersByState(snap.containers)) {
        if (containers.length === 0) continue;
        const group: StateGroupElement = { kind: 'state', state, containers };
        groups.push(group);
        for (const c of containers) rows.set(c.id, { kind: 'container', container: c, group });
      }
      this.cache = { version: snap.version, groups, imagesById: new Map(snap.images.map((i) => [i.id, i])), rows };
      this.shown = new Map();
    }
    return this.cache;
  }

  /** The row element for a container ID, if listed. */
  elementFor(containerId: string): ContainerRowElement | undefined {
    return this.model()?.rows.get(containerId);
  }

  getTreeItem(element: ContainersElement): vscode.TreeItem {
    if (element.kind === 'state') {
      const item = new vscode.TreeItem(`${STATE_LABELS[element.state] ?? element.state} (${element.containers.length})`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `state:${element.state}`;
      item.iconPath = containerIcon(element.state);
      item.contextValue = 'containerState';
      return item;
    }
    const c = element.container;
    const imageLabel = containerImageLabel(c, this.model()?.imagesById ?? new Map());
    const item = new vscode.TreeItem(c.names[0] ?? shortId(c.id), vscode.TreeItemCollapsibleState.None);
    item.id = `container:${c.id}`;
    // Throwaway (transaction/shell) and warm-pool containers are marked: they vanish by design.
    const status = this.times?.containerStatus(c) ?? c.status;
    item.description = this.rowDescription(c, this.model()?.imagesById ?? new Map());
    this.shown.set(element, item.description);
    item.tooltip = containerTooltip(c, imageLabel, status);
    item.iconPath = containerIcon(c.state);
    item.contextValue = containerContext(c.state, c.labels);
    return item;
  }

  getChildren(element?: ContainersElement): ContainersElement[] {
    const m = this.model();
    if (!m) return [];
    if (!element) return m.groups;
    if (element.kind === 'state') return element.containers.map((c) => m.rows.get(c.id)!);
    return [];
  }

  getParent(element: ContainersElement): ContainersElement | undefined {
    return element.kind === 'container' ? element.group : undefined;
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
