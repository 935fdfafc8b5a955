import * as vscode from 'vscode';
import type { Services } from '../services';
import { RecipeStore } from '../store/recipeStore';
import { imageItemDecorators } from '../views/imageDecorations';
import { StaleDecorations } from '../views/staleDecorations';
import { fromLensContributors } from '../lenses/fromLensContributions';
import { StaleLenses } from '../lenses/staleLens';
import { REBUILD_DESCENDANTS_COMMAND, registerRebuildDescendants } from './rebuild';

/**
 * The "stale descendants" feature (issue 13): stale markers and counts in the Images view, the
 * stale FROM lens, and Rebuild Descendants…, all over the shared recipe store. The store is
 * watched, so a build or rebuild from the CLI or another window shows at once. One registration
 * line in extension.ts.
 */
export function registerStaleFeature(services: Services): void {
  const { context, log } = services;
  const store = new RecipeStore(undefined, { warn: (m) => log.warn(m) });
  const decorations = new StaleDecorations(store);
  const refresh = () => {
    decorations.refresh();
    imageItemDecorators.refresh();
    fromLensContributors.refresh();
  };
  context.subscriptions.push(
    decorations,
    vscode.window.registerFileDecorationProvider(decorations),
    imageItemDecorators.add(decorations),
    fromLensContributors.add(new StaleLenses(store, REBUILD_DESCENDANTS_COMMAND)),
    store.watch(refresh),
  );
  registerRebuildDescendants(services, store, refresh);
}
