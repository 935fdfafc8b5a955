/**
 * What an Images view item shows, as a signature string, so that a model change refreshes only
 * the items that read differently. A whole-tree refresh makes VS Code drop every item handle
 * until it has fetched the tree again; a context-menu command run in that moment (on a busy
 * engine, events arrive every few hundred ms) would receive no item. Relative times are left
 * out: {@link RelativeTimes} re-renders those.
 */
import { bestTag, type ContainerRecord, type LineageNode } from '../core/lineage';
import { classifyContainer } from '../core/labels';
import { parseTimedStatus } from '../core/statusClock';

/** A status without its duration: "Up |" for "Up 5 minutes", the text itself when it has none. */
function statusShape(status: string): string {
  const t = parseTimedStatus(status);
  return t ? `${t.prefix}|${t.suffix}` : status;
}

/** Everything an image item renders (label, description, tooltip, icon, context, children). */
export function imageSignature(node: LineageNode, showContainers: boolean): string {
  const i = node.image;
  return JSON.stringify([
    bestTag(i),
    i.names ?? [],
    i.repoTags,
    i.repoDigests,
    i.created,
    i.size,
    i.layers.length,
    node.uniqueSize,
    node.dangling,
    node.rule,
    node.ruleDetail ?? '',
    node.parent?.image.id ?? '',
    node.parent ? bestTag(node.parent.image) : '',
    node.children.map((c) => c.image.id),
    showContainers ? node.containers.map((c) => c.id) : [],
    // The tooltip lists the containers with their state.
    node.containers.map((c) => `${c.names[0] ?? ''} ${c.state}`),
  ]);
}

/** Everything a container item under its image renders, relative time aside. */
export function containerSignature(c: ContainerRecord): string {
  return JSON.stringify([c.names, c.state, statusShape(c.status), classifyContainer(c.labels) ?? '', c.image, c.created]);
}
