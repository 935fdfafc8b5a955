/**
 * "Commit Container as Child Image…": the hands-on way to make a child image. From a container
 * in the Containers or Images view (or picked from the palette): asks for the image name, an
 * optional message and author, optional config changes (CMD, ENV, …), and whether to pause the
 * container during the commit; the new image appears under the container's image.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { deriveImageName } from '../core/tagname';
import { commitContainer, validateCommitChanges, type CommitResult } from '../engine/commit';
import { resolveImageName, revealImageInTree } from './build';

export const COMMIT_COMMAND = 'containerLineage.commitContainer';

/** Optional arguments (tests, automation): skip the prompts. */
export interface CommitCommandOptions {
  tag?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  pause?: boolean;
  noPrompt?: boolean;
}

function containerIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const a = arg as { kind?: string; container?: { id?: string } } | undefined;
  if (a?.kind === 'container' && typeof a.container?.id === 'string') return a.container.id;
  return undefined;
}

/** Register the commit command. */
export function registerCommit(services: Services): void {
  const { context, log } = services;

  const run = async (arg: unknown, opts: CommitCommandOptions): Promise<CommitResult | undefined> => {
    const docker = services.engine.docker();
    let id = containerIdOf(arg);
    let name = id;
    if (!id) {
      const list = await docker.listContainers({ all: true });
      if (list.length === 0) {
        void vscode.window.showInformationMessage('No containers to commit: run a container from an image, customise it, then commit it.');
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(
        list.map((c) => ({ label: (c.Names[0] ?? c.Id).replace(/^\//, ''), description: `${c.Image} · ${c.State}`, detail: c.Status, id: c.Id })),
        { placeHolder: 'Container to commit as a child image of its image' },
      );
      if (!picked) return undefined;
      id = picked.id;
      name = picked.label;
    }
    const info = await docker.getContainer(id).inspect();
    name = info.Name.replace(/^\//, '') || name;

    const tag = await resolveImageName(opts.tag, deriveImageName(`${name}-committed`), opts.noPrompt, {
      title: `Commit ${name} as a child of ${info.Config.Image}`,
      prompt: 'Image name for the committed container',
    });
    if (tag === undefined) return undefined;
    let comment = opts.comment;
    let changes = opts.changes;
    let pause = opts.pause;
    if (!opts.noPrompt) {
      if (comment === undefined) {
        comment = await vscode.window.showInputBox({ title: 'Commit message (optional)', prompt: 'What was customised, e.g. "installed curl, added user app"' });
        if (comment === undefined) return undefined;
      }
      if (changes === undefined) {
        const input = await vscode.window.showInputBox({
          title: 'Config changes (optional)',
          prompt: 'Dockerfile instructions separated by ";", e.g. CMD ["sh"]; ENV MODE=prod; USER app',
          validateInput: (v) => validateCommitChanges(v.split(';').map((x) => x.trim()).filter(Boolean)),
        });
        if (input === undefined) return undefined;
        changes = input.split(';').map((x) => x.trim()).filter(Boolean);
      }
      if (pause === undefined && info.State.Running) {
        const p = await vscode.window.showQuickPick(
          [
            { label: 'Pause during commit', description: 'consistent file system (default, like docker commit)', pause: true },
            { label: 'Do not pause', description: 'the container keeps serving; files may be caught mid-write', pause: false },
          ],
          { placeHolder: 'Pause the running container while committing?' },
        );
        if (!p) return undefined;
        pause = p.pause;
      }
    }
    const bad = validateCommitChanges(changes ?? []);
    if (bad) {
      void vscode.window.showErrorMessage(bad);
      return undefined;
    }
    const author = opts.author ?? vscode.workspace.getConfiguration('containerLineage').get<string>('commit.author', '') ?? '';
    const result = await commitContainer(docker, {
      container: id,
      tag,
      comment: comment || undefined,
      author: author || undefined,
      changes,
      pause: pause ?? true,
    });
    log.info(`committed container ${name} (${id.slice(0, 12)}) as ${tag} = ${result.imageId}, parent ${result.parentId}`);
    void vscode.window.showInformationMessage(`Committed ${name} as ${tag}.`);
    await revealImageInTree(result.imageId).catch(() => undefined);
    return result;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMIT_COMMAND, async (arg?: unknown, opts?: CommitCommandOptions) => {
      try {
        return await run(arg, opts && !Array.isArray(opts) ? opts : {});
      } catch (err) {
        log.error(`${COMMIT_COMMAND}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(`Commit failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }),
  );
}
