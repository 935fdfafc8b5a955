import type { Services } from '../services';
import { registerBuild } from './build';
import { registerCommit } from './commit';
import { registerFromLenses } from '../lenses/from';

/**
 * The "build child images" feature: the build command with its diagnostics, the FROM code
 * lenses, and commit-as-child. One registration line in extension.ts.
 */
export function registerBuildFeature(services: Services): void {
  registerBuild(services);
  registerFromLenses(services);
  registerCommit(services);
}
