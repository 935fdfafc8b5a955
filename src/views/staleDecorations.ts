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
import type { RecipeStore } from '../store/recipeStore';
import type { ImageItemDecorator } from './imageDecorations';

/** URI scheme of the decoration URIs. */
export const STALE_DECORATION_SCHEME = 'container-lineage-stale';

export class StaleDecorations implements ImageItemDecorator, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly model = staleModelMemo();
  private readonly decorations = new Map<string, vscode.FileDecoration>();
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(private readonly store: RecipeStore) {}

  decorate(item: vscode.TreeItem, node: LineageNode, images: readonly ImageRecord[]): void {
    const m = this.model(images, this.store.read());
    const stale = m.byId.get(node.image.id);
    const below = m.byRootCause.get(node.image.id) ?? [];
    if (!stale && below.length === 0) return;
    const uri = vscode.Uri.from({ scheme: STALE_DECORATION_SCHEME, path: `/${node.image.id}` });
    item.resourceUri = uri;
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
    const decoration = stale
      ? new vscode.FileDecoration('↻', 'stale: its base was rebuilt or re-tagged', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.FileDecoration(below.length > 99 ? '9+' : String(below.length), `${below.length} stale descendant${below.length === 1 ? '' : 's'}`);
    const key = uri.toString();
    const old = this.decorations.get(key);
    this.decorations.set(key, decoration);
    if (old && (old.badge !== decoration.badge || old.tooltip !== decoration.tooltip)) this.changed.fire(undefined);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    return uri.scheme === STALE_DECORATION_SCHEME ? this.decorations.get(uri.toString()) : undefined;
  }

  /** Forget the decorations and ask VS Code to ask again (the data changed). */
  refresh(): void {
    this.decorations.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
