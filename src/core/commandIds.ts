/**
 * Command IDs that more than one VS Code face names (a lens runs the build command, a build
 * reveals its image in the tree): kept here as plain data so lenses and views never import the
 * command modules that register them.
 */

/** "Build Child Image from Active Dockerfile…" (registered by src/commands/build.ts). */
export const BUILD_COMMAND = 'containerLineage.buildImage';
/** Reveal and select an image in the Images view; argument: image ID (registered by the lineage feature). */
export const REVEAL_IMAGE_COMMAND = 'containerLineage.images.reveal';
/** Refresh the Images view. */
export const REFRESH_IMAGES_COMMAND = 'containerLineage.images.refresh';
/** Focus the Images view (VS Code's generated `<view id>.focus`). */
export const FOCUS_IMAGES_COMMAND = 'containerLineage.images.focus';

/**
 * Whether a document is a Dockerfile, by its language ID or its file name (`Dockerfile`,
 * `Containerfile`, `Dockerfile.dev`, `app.dockerfile`, …).
 * @param doc any object with the fields of a VS Code TextDocument used here.
 */
export function isDockerfileDocument(doc: { languageId: string; uri: { path: string } }): boolean {
  if (doc.languageId === 'dockerfile') return true;
  const name = doc.uri.path.slice(doc.uri.path.lastIndexOf('/') + 1);
  return /^(Dockerfile|Containerfile)(\..*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}
