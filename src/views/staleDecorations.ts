/**
 * Stale images in the Images view (an {@link ImageItemDecorator}): a stale image gets a "stale"
 * description, a warning-coloured ↻ decoration and a tooltip section saying why ("built on
 * lineage-sample/base:1.0 as it was on <date>; that tag now points to a newer image"); the image
 * its stale descendants wait for (the rebuilt base) gets their count. Items carry a decoration
 * URI (`container-lineage-stale:/<image ID>`) only when they have something to show.
 */
import * as vscode from 'vscode';
import { bestTag, type ImageRecord, type LineageNode } from '../core/lineage';
import { staleModelMemo, staleReason } from '../core/staleness';
import type { NameRules } from '../core/reference';
import type { RecipeStore } from '../store/recipeStore';
import type { ImageItemDecorator } from './imageDecorations';

/** URI scheme of the decoration URIs. */
export const STALE_DECORATION_SCHEME = 'container-lineage-stale';

export class StaleDecorations implements ImageItemDecorator, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly model = staleModelMemo();
  /** The image list of the snapshot the view rendered last (decorations are computed from it). */
  private images: readonly ImageRecord[] = [];
  private names: NameRules | undefined;
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(private readonly store: RecipeStore) {}

  decorate(item: vscode.TreeItem, node: LineageNode, images: readonly ImageRecord[], names?: NameRules): void {
    if (images !== this.images) {
      // A new snapshot: decorations VS Code holds for unchanged URIs may be out of date.
      this.images = images;
      this.names = names;
      queueMicrotask(() => this.changed.fire(undefined));
    }
    const m = this.model(images, this.store.read(), names);
    const stale = m.byId.get(node.image.id);
    const below = m.byRootCause.get(node.image.id) ?? [];
    if (!stale && below.length === 0) return;
    item.resourceUri = vscode.Uri.from({ scheme: STALE_DECORATION_SCHEME, path: `/${node.image.id}` });
    const md = item.tooltip instanceof vscode.MarkdownString ? item.tooltip : new vscode.MarkdownString(typeof item.tooltip === 'string' ? item.tooltip : '');
    const parts: string[] = [];
    if (stale) {
      parts.push('stale');
      md.appendMarkdown('**Stale:** ');
      md.appendText(staleReason(stale));
      md.appendMarkdown('  \n');
      md.appendText(`Rebuild Descendants… on ${bestTag(stale.rootCause)} rebuilds it.`);
      md.appendMarkdown('  \n');
    }
    if (below.length > 0) {
      parts.push(`${below.length} stale descendant${below.length === 1 ? '' : 's'}`);
      md.appendMarkdown('**Stale descendants:** ');
      md.appendText(`${below.map((s) => bestTag(s.image)).join(', ')} (Rebuild Descendants… rebuilds them)`);
      md.appendMarkdown('  \n');
    }
    item.tooltip = md;
    item.description = `${typeof item.description === 'string' && item.description ? `${item.description} · ` : ''}${parts.join(' · ')}`;
  }

  /** Computed from the last rendered snapshot and the store now, so it never lags behind the items. */
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== STALE_DECORATION_SCHEME) return undefined;
    const id = uri.path.slice(1);
    const m = this.model(this.images, this.store.read(), this.names);
    if (m.byId.has(id)) return new vscode.FileDecoration('↻', 'stale: its base was rebuilt or re-tagged', new vscode.ThemeColor('list.warningForeground'));
    const n = m.byRootCause.get(id)?.length ?? 0;
    return n > 0 ? new vscode.FileDecoration(n > 99 ? '9+' : String(n), `${n} stale descendant${n === 1 ? '' : 's'}`) : undefined;
  }

  /** Ask VS Code for the decorations again (the recipe store changed). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
