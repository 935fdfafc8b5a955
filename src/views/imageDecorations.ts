/**
 * Extension point of the Images view: features add to an image's tree item (description,
 * tooltip section, icon, decoration URI) without editing the view, which applies
 * {@link imageItemDecorators} to every image item it renders and re-renders on their change.
 */
import type * as vscode from 'vscode';
import type { ImageRecord, LineageNode } from '../core/lineage';
import type { NameRules } from '../core/reference';
import { ContributionPoint } from './contributionPoint';

/** A feature's contribution to image items. */
export interface ImageItemDecorator {
  /**
   * Change `item` for `node`. `images` is the full image list of the snapshot the view renders
   * (dangling images included; the same array until the next snapshot, so it can key a cache);
   * `names` how its engine looks up names without a registry.
   */
  decorate(item: vscode.TreeItem, node: LineageNode, images: readonly ImageRecord[], names?: NameRules): void;
}

/** The decorators of image items. */
export const imageItemDecorators = new ContributionPoint<ImageItemDecorator>();

/** Apply every decorator to an image item. */
export function decorateImageItem(item: vscode.TreeItem, node: LineageNode, images: readonly ImageRecord[], names?: NameRules): vscode.TreeItem {
  imageItemDecorators.forEach((d) => d.decorate(item, node, images, names));
  return item;
}
