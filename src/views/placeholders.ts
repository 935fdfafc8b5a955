/**
 * Placeholder Images and Containers views so the foundation works on its own: empty providers
 * behind the engine gate (see engineMessage.ts). The lineage feature replaces this registration
 * with its real providers through createEngineAwareTreeView.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { createEngineAwareTreeView } from './engineMessage';

class EmptyProvider implements vscode.TreeDataProvider<never> {
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }
  getChildren(): never[] {
    return [];
  }
}

/** Register empty, engine-aware tree views for `containerLineage.images` and `containerLineage.containers`. */
export function registerPlaceholderViews(services: Services): void {
  for (const viewId of ['containerLineage.images', 'containerLineage.containers']) {
    createEngineAwareTreeView(viewId, new EmptyProvider(), services.engine, services.context.subscriptions);
  }
}
