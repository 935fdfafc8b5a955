/**
 * What an Images view item shows, as a signature string, so that a model change refreshes only
 * the items that read differently. A whole-tree refresh makes VS Code drop every item handle
 * until it has fetched the tree again; a context-menu command run in that moment (on a busy
 * engine, events arrive every few hundred ms) would receive no item. Relative times are left
 * out: {@link RelativeTimes} re-renders those.
 */
import type * as vscode from 'vscode';
import type { ContainerRecord, LineageNode } from '../core/lineage';
import { classifyContainer } from '../core/labels';
import { parseTimedStatus } from '../core/statusClock';

/** A status without its duration: "Up |" for "Up 5 minutes", the text itself when it has none. */
function statusShape(status: string): string {
  const t = parseTimedStatus(status);
  return t ? `${t.prefix}|${t.suffix}` : status;
}

/**
 * What an image item shows: `item` as rendered (at a fixed moment, so ages do not count; with
 * every feature's decoration) and the children and containers under it.
 */
export function imageSignature(item: vscode.TreeItem, node: LineageNode, showContainers: boolean): string {
  const tooltip = typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const icon = JSON.stringify(item.iconPath ?? null);
  return JSON.stringify([
    label,
    item.description ?? '',
    tooltip,
    icon,
    item.contextValue ?? '',
    item.collapsibleState ?? 0,
    item.resourceUri?.toString() ?? '',
    node.children.map((c) => c.image.id),
    showContainers ? node.containers.map((c) => c.id) : [],
  ]);
}

/** Everything a container item under its image renders, relative time aside. */
export function containerSignature(c: ContainerRecord): string {
  return JSON.stringify([c.names, c.state, statusShape(c.status), classifyContainer(c.labels) ?? '', c.image, c.created]);
}
