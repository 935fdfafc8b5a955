/**
 * Commit a container as a child image: the hands-on way to make a child (start a container from
 * an image, customise it, commit it). The engine records the container's image as the new
 * image's `Parent`, so the lineage tree shows the result under the container's image.
 */
import type Docker from 'dockerode';
import { splitRepoTag } from '../core/tagname';
import { commitProvenanceChange } from './provenanceBuild';

/** What to commit. */
export interface CommitRequest {
  /** Container ID or name. */
  container: string;
  /** Name for the new image, e.g. "my-app:customised" (tag "latest" when omitted); untagged when undefined. */
  tag?: string;
  /** Commit message (`docker commit -m`). */
  comment?: string;
  /** Author (`docker commit -a`). */
  author?: string;
  /** Dockerfile instructions applied to the image config (`docker commit -c`), e.g. ["CMD [\"sh\"]", "ENV A=1"]. */
  changes?: string[];
  /** Pause the container during the commit (engine default true, as `docker commit`). */
  pause?: boolean;
}

/** Outcome of {@link commitContainer}. */
export interface CommitResult {
  /** "sha256:…" of the new image. */
  imageId: string;
  /** The container's image ID, i.e. the new image's parent. */
  parentId: string;
  /** Tag applied, if any. */
  tag?: string;
}

/** Instructions the engine accepts in commit changes (others are refused by the engine). */
export const COMMIT_CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL'];

/**
 * Check commit changes before sending them: one Dockerfile instruction per entry, of a kind the
 * engine accepts. @returns a message saying what to fix, or undefined when valid.
 */
export function validateCommitChanges(changes: readonly string[]): string | undefined {
  for (const c of changes) {
    const kw = c.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    if (!COMMIT_CHANGE_INSTRUCTIONS.includes(kw)) {
      return `"${c.trim()}" cannot be applied by a commit: use one of ${COMMIT_CHANGE_INSTRUCTIONS.join(', ')}.`;
    }
  }
  return undefined;
}

/**
 * Commit a container as a new image.
 * @throws Error with the engine's message when the container does not exist (404), the
 *   changes are refused (400), or the engine fails.
 */
export async function commitContainer(docker: Docker, req: CommitRequest): Promise<CommitResult> {
  const container = docker.getContainer(req.container);
  const info = await container.inspect();
  const opts: Record<string, unknown> = { pause: req.pause ?? true };
  if (req.tag) {
    const { repo, tag } = splitRepoTag(req.tag);
    opts.repo = repo;
    opts.tag = tag;
  }
  if (req.comment) opts.comment = req.comment;
  if (req.author) opts.author = req.author;
  // The base labels first: a LABEL the caller gives for the same key wins.
  const changes = [await commitProvenanceChange(docker, info.Image, info.Config?.Image), ...(req.changes ?? []).map((c) => c.trim()).filter((c) => c.length > 0)];
  opts.changes = changes;
  const res = (await container.commit(opts)) as { Id?: string; id?: string };
  const imageId = res.Id ?? res.id;
  if (!imageId) throw new Error('The engine committed the container but returned no image ID.');
  return { imageId, parentId: info.Image, tag: req.tag };
}
