/** Revealing an image in the Images view from any face (a build, a commit, a FROM lens). */
import * as vscode from 'vscode';
import { FOCUS_IMAGES_COMMAND, REFRESH_IMAGES_COMMAND, REVEAL_IMAGE_COMMAND } from '../core/commandIds';

/**
 * Reveal and select an image in the Images view. Uses the lineage feature's reveal command
 * (`containerLineage.images.reveal`, argument: image ID) when it is registered; otherwise
 * refreshes and focuses the view.
 * @param imageId the image's ID (`sha256:…`).
 */
export async function revealImageInTree(imageId: string): Promise<void> {
  const all = await vscode.commands.getCommands(true);
  if (all.includes(REVEAL_IMAGE_COMMAND)) {
    await vscode.commands.executeCommand(REVEAL_IMAGE_COMMAND, imageId);
    return;
  }
  if (all.includes(REFRESH_IMAGES_COMMAND)) await vscode.commands.executeCommand(REFRESH_IMAGES_COMMAND);
  await vscode.commands.executeCommand(FOCUS_IMAGES_COMMAND);
}
