import type { Services } from '../services';
import { createLineageViews, type LineageUi } from '../views/images';
import { registerImageCommands } from './images';
import { registerContainerCommands } from './containers';

/**
 * The "image lineage" feature: the Images and Containers views over one lineage source, and the
 * image and container commands that act on them. One registration line in extension.ts. The
 * wiring lives here, not in the view, because views never import commands.
 * @returns the views and their source.
 */
export function registerLineage(services: Services): LineageUi {
  const ui = createLineageViews(services);
  registerImageCommands(ui);
  registerContainerCommands(ui);
  return ui;
}
