/**
 * The "Show Image Layers" report as Markdown (pure): one row per history entry, saying which
 * entries made a filesystem layer (with its diff ID, "layer 3 of 8") and which only changed the
 * configuration (ENV, CMD, LABEL…, no layer), and whether each is shared with the parent image
 * or the image's own. The header counts both, so "8 layers" above 16 rows is explained.
 */
import { bestTag, layerRows, shortId, type LineageNode } from './lineage';
import { formatBytes, plural } from './format';
import { codeSpan, escapeMarkdown } from './markdown';
import { RULE_WORDS } from './ruleWords';

/** Longest "created by" text shown per row (the full text is in Inspect Image). */
const CREATED_BY_MAX = 300;

/**
 * Markdown of an image's layers and history. Needs `node.image.history` (and the parent's, to
 * tell shared entries apart); without history it says so.
 */
export function layersReport(node: LineageNode): string {
  const image = node.image;
  const rows = layerRows(image, node.parent?.image);
  const layerCount = image.layers.length;
  const configOnly = rows.filter((r) => r.empty).length;
  const own = rows.filter((r) => r.origin === 'own' && !r.empty).length;
  const e = escapeMarkdown;
  const lines = [
    `# Layers of ${e(bestTag(image))}`,
    '',
    `${plural(layerCount, 'filesystem layer')} (diff IDs), ${formatBytes(image.size)} in total, ${formatBytes(node.uniqueSize)} of them this image's own.`,
    rows.length
      ? `The table lists the image's ${plural(rows.length, 'history entry', 'history entries')}, oldest first: ${plural(rows.length - configOnly, 'entry', 'entries')} made a layer, ${plural(configOnly, 'entry', 'entries')} only changed the configuration (no layer).`
      : 'The engine returned no history for this image, so only the layer count is known.',
    '',
    `Image ID ${codeSpan(image.id)}${image.repoTags.length > 1 ? `; all tags: ${image.repoTags.map(e).join(', ')}` : ''}.`,
    node.parent
      ? `Parent: ${e(bestTag(node.parent.image))} (${RULE_WORDS[node.rule]}); ${plural(own, 'layer')} added on top of it.`
      : node.rule === 'base-not-present'
        ? 'Parent: its base image is not present locally.'
        : 'No local parent: this is a base image.',
  ];
  if (rows.length) {
    lines.push('', '| # | Layer | Origin | Size | Diff ID | Created by |', '|---:|---|---|---:|---|---|');
    let layerIndex = 0;
    rows.forEach((r, i) => {
      const layer = r.empty ? 'none (configuration only)' : `layer ${++layerIndex} of ${layerCount}`;
      const origin = r.origin === 'own' ? '**own**' : 'shared with parent';
      const size = r.empty ? '–' : formatBytes(r.entry.size);
      const createdBy = (r.entry.createdBy || r.entry.comment || '').replace(/\s+/g, ' ').trim();
      const shown = createdBy.length > CREATED_BY_MAX ? `${createdBy.slice(0, CREATED_BY_MAX)}…` : createdBy;
      lines.push(`| ${i + 1} | ${layer} | ${origin} | ${size} | ${r.diffId ? codeSpan(shortId(r.diffId)) : ''} | ${shown ? codeSpan(shown) : ''} |`);
    });
  }
  return lines.join('\n') + '\n';
}
