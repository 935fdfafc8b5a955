/**
 * What "Remove Image…" and "Remove Image and Descendants…" would do, decided from the lineage
 * model before anything is asked or removed (pure; no engine, no VS Code).
 *
 * Like `docker rmi <tag>`: removing one tag of an image that has other tags only untags it (the
 * image, its child images and its containers stay). Removing the image itself is allowed only
 * when nothing is built on it and no container uses it; removing it together with everything
 * built on it is a separate, explicit action whose confirmation names every tag it deletes.
 */
import { bestRepoTag, removalPlan, shortId, type LineageNode, type RemovalPlan } from './lineage';
import { countList, plural } from './format';

/** The decision for "Remove Image…" on one image (optionally on one of its tags). */
export type RemoveDecision =
  /** Untag `tag`: the image keeps `remaining` (at least one), its children and its containers. */
  | { kind: 'untag'; node: LineageNode; tag: string; remaining: string[] }
  /** Delete the image: it has no child image and no container. */
  | { kind: 'delete'; node: LineageNode }
  /** Blocked: child images or containers use it; only the explicit subtree removal can delete it. */
  | { kind: 'blocked'; node: LineageNode; plan: RemovalPlan };

/**
 * Decide what removing `node` means.
 * @param tag the tag the user removed (a tree item stands for its best tag); default the
 *   image's best tag. A tag the image does not carry is ignored.
 */
export function decideRemoval(node: LineageNode, tag?: string): RemoveDecision {
  const tags = node.image.repoTags;
  const chosen = tag !== undefined && tags.includes(tag) ? tag : bestRepoTag(node.image);
  if (chosen !== undefined && tags.length > 1) return { kind: 'untag', node, tag: chosen, remaining: tags.filter((t) => t !== chosen) };
  const plan = removalPlan(node);
  if (plan.descendants.length || plan.containers.length) return { kind: 'blocked', node, plan };
  return { kind: 'delete', node };
}

/** Every name of an image: all its tags, else its digests, else `<none>`, then its short ID. */
export function imageNames(node: LineageNode): string {
  const i = node.image;
  const names = i.repoTags.length ? i.repoTags : i.repoDigests.length ? i.repoDigests : ['<none>'];
  return `${names.join(', ')} (${shortId(i.id)})`;
}

/** "4 images and 1 container" for a subtree plan (zero counts left out). */
export function planCounts(plan: RemovalPlan): string {
  return countList([
    [plan.images.length, 'image'],
    [plan.containers.length, 'container'],
  ]);
}

/**
 * The lines a subtree confirmation shows: every container (name, state) and every image with
 * all its tags, in removal order (containers, then images deepest first, the target last).
 */
export function describePlan(plan: RemovalPlan): string[] {
  const lines: string[] = [];
  for (const c of plan.containers) lines.push(`container ${c.names[0] ?? shortId(c.id)} (${c.state})`);
  for (const n of plan.images) lines.push(`image ${imageNames(n)}`);
  return lines;
}

/**
 * Why an image cannot be removed on its own, naming what blocks it with every tag, e.g.
 * "1 child image is built on it: lineage-sample/child:1.0, uxtest/child:ux (4f2a…); no container
 * uses it".
 */
export function describeBlockers(plan: RemovalPlan): string {
  const parts: string[] = [];
  const kids = plan.descendants;
  if (kids.length) {
    const direct = plan.target.children.map(imageNames).join('; ');
    const below = kids.length - plan.target.children.length;
    // "child images" are the direct ones (those named); the images under them are counted apart.
    const n = plan.target.children.length;
    parts.push(`${plural(n, 'child image')} ${n === 1 ? 'is' : 'are'} built on it: ${direct}${below > 0 ? ` (and ${plural(below, 'more image')} below them)` : ''}`);
  }
  if (plan.containers.length) {
    const names = plan.containers.map((c) => `${c.names[0] ?? shortId(c.id)} (${c.state})`).join(', ');
    parts.push(`${plural(plan.containers.length, 'container')} ${plan.containers.length === 1 ? 'uses' : 'use'} it or its children: ${names}`);
  }
  return parts.join('; ');
}
