/**
 * The parent rules of the lineage model said in words, for everything a user reads (tree
 * tooltips, pickers, the layers report, the CLI's text tree). The rule's own name (`layer-prefix`,
 * `parent-field`, …) stays available as detail (tooltip, `--json`), never as the main wording.
 */
import { RULE_DESCRIPTIONS, type LineageNode, type ParentRule } from './lineage';

/** How the parent was found, completing "parent found …" / "… (how)". */
export const RULE_WORDS: Record<ParentRule, string> = {
  'parent-field': 'recorded by the engine',
  'base-label': 'named by its base-image label',
  'layer-prefix': 'built on its layers',
  'same-layers-history': 'same layers, history continued',
  root: 'base image, no local parent',
  'base-not-present': 'its base image is not present locally',
};

/** One line for a tooltip: the words, then the rule's name and its full description as detail. */
export function ruleTooltip(node: Pick<LineageNode, 'rule' | 'ruleDetail'>): string {
  return `${RULE_WORDS[node.rule]} (rule ${node.rule}: ${RULE_DESCRIPTIONS[node.rule]}${node.ruleDetail ? `; ${node.ruleDetail}` : ''})`;
}
