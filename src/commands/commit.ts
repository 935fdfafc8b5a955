/**
 * "Commit Container as Child Image…": the hands-on way to make a child image. From a container
 * in the Containers or Images view (or picked from the palette; warm-pool containers are not
 * offered), one titled multi-step input with Back asks for the image name, an optional message,
 * optional config changes (CMD, ENV, …), and whether to pause a running container; the answers
 * are remembered per image. The author comes from the setting. The new image appears under the
 * container's image.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { classifyContainer, commitCandidates } from '../core/labels';
import { bestTag } from '../core/lineage';
import { LocalImageIndex } from '../core/reference';
import { deriveImageName, tagMoveWarning, validateImageName } from '../core/tagname';
import { commitContainer, validateCommitChanges, type CommitResult } from '../engine/commit';
import { revealImageInTree } from '../views/reveal';
import { RememberedAnswers, runSteps, type Step } from './multiStep';

/** "CMD [\"sh\"]; ENV A=1" → one instruction per entry. */
function splitChanges(text: string): string[] {
  return text
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean);
}

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

/** The answers of the commit prompts, remembered per image of the committed container. */
interface CommitAnswers {
  tag: string;
  comment: string;
  changes: string;
  pause: boolean;
}

/** Register the commit command. */
export function registerCommit(services: Services): void {
  const { context, log } = services;
  const remembered = new RememberedAnswers<CommitAnswers>(context.globalState, 'commit');

  const run = async (arg: unknown, opts: CommitCommandOptions): Promise<CommitResult | undefined> => {
    const docker = services.engine.docker();
    const state = { id: containerIdOf(arg) ?? '', name: '', image: '', running: false, tag: '', comment: '', changes: '', pause: true };
    /** Load what the container is, and the answers last given for its image. */
    const load = async (id: string) => {
      const info = await docker.getContainer(id).inspect();
      if (classifyContainer(info.Config.Labels) === 'pooled') throw new Error(`${info.Name.replace(/^\//, '')} is a warm-pool container: it serves one transaction and is then destroyed, so it is not offered for commit.`);
      const last = remembered.get(info.Config.Image);
      Object.assign(state, {
        id,
        name: info.Name.replace(/^\//, '') || id.slice(0, 12),
        image: info.Config.Image,
        running: !!info.State.Running,
        tag: last.tag ?? deriveImageName(`${info.Name.replace(/^\//, '')}-committed`),
        comment: last.comment ?? '',
        changes: last.changes ?? '',
        pause: last.pause ?? true,
      });
    };
    const steps: Step<typeof state>[] = [];
    if (state.id) await load(state.id);
    else {
      const list = commitCandidates(await docker.listContainers({ all: true }));
      if (list.length === 0) {
        void vscode.window.showInformationMessage('No containers to commit: run a container from an image, customise it, then commit it.');
        return undefined;
      }
      if (opts.noPrompt) return undefined;
      steps.push({
        kind: 'pick',
        placeholder: () => 'Container to commit as a child image of its image',
        choices: (s) =>
          list.map((c) => ({
            label: (c.Names[0] ?? c.Id).replace(/^\//, ''),
            description: `${c.Image} · ${c.State}`,
            detail: c.Status,
            current: c.Id === s.id,
            apply: () => load(c.Id),
          })),
      });
    }
    if (opts.noPrompt) state.tag = opts.tag ?? state.tag;
    else {
      // The names the engine resolves now, to warn when the tag would move off another image.
      const names = await docker
        .listImages()
        .then((list) => new LocalImageIndex(list.map((i) => ({ id: i.Id, repoTags: i.RepoTags ?? [], repoDigests: i.RepoDigests ?? [] })), services.engine.dialect.names))
        .catch(() => undefined);
      steps.push(
        {
          kind: 'input',
          prompt: (s) => `Image name for the committed container (a child of ${s.image})`,
          value: (s) => s.tag,
          validate: (v) => {
            const c = validateImageName(v);
            return c.ok ? undefined : c.message;
          },
          warn: (v) =>
            names && tagMoveWarning(v, names, '', (i) => bestTag(i), 'committing moves it to the new image (the old one keeps only its other tags, or is left dangling).'),
          apply: (v, s) => (s.tag = v.trim()),
          skip: () => opts.tag !== undefined,
        },
        {
          kind: 'input',
          prompt: () => 'Commit message (optional): what was customised, e.g. "installed curl, added user app"',
          value: (s) => s.comment,
          apply: (v, s) => (s.comment = v),
          skip: () => opts.comment !== undefined,
        },
        {
          kind: 'input',
          prompt: () => 'Config changes (optional): Dockerfile instructions separated by ";", e.g. CMD ["sh"]; ENV MODE=prod; USER app',
          value: (s) => s.changes,
          validate: (v) => validateCommitChanges(splitChanges(v)),
          apply: (v, s) => (s.changes = v),
          skip: () => opts.changes !== undefined,
        },
        {
          kind: 'pick',
          placeholder: (s) => `Pause ${s.name} while committing?`,
          choices: (s) => [
            { label: 'Pause during commit', description: 'consistent file system (default, like docker commit)', current: s.pause, apply: (x: typeof state) => void (x.pause = true) },
            { label: 'Do not pause', description: 'the container keeps serving; files may be caught mid-write', current: !s.pause, apply: (x: typeof state) => void (x.pause = false) },
          ],
          skip: (s) => !s.running || opts.pause !== undefined,
        },
      );
      if (opts.tag !== undefined) state.tag = opts.tag;
      const done = await runSteps((s) => (s.name ? `Commit ${s.name} as a child of ${s.image}` : 'Commit Container as Child Image'), steps, state);
      if (!done) return undefined;
      await remembered.set(state.image, { tag: state.tag, comment: state.comment, changes: state.changes, pause: state.pause });
    }
    const changes = opts.changes ?? splitChanges(state.changes);
    const bad = validateCommitChanges(changes);
    if (bad) {
      void vscode.window.showErrorMessage(bad);
      return undefined;
    }
    const check = validateImageName(state.tag);
    if (!check.ok) {
      void vscode.window.showErrorMessage(check.message);
      return undefined;
    }
    const author = opts.author ?? vscode.workspace.getConfiguration('containerLineage').get<string>('commit.author', '') ?? '';
    const comment = opts.comment ?? state.comment;
    const result = await commitContainer(docker, {
      container: state.id,
      tag: state.tag.trim(),
      comment: comment || undefined,
      author: author || undefined,
      changes,
      pause: opts.pause ?? state.pause,
    });
    log.info(`committed container ${state.name} (${state.id.slice(0, 12)}) as ${state.tag} = ${result.imageId}, parent ${result.parentId}`);
    void vscode.window.showInformationMessage(`Committed ${state.name} as ${state.tag}.`);
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
