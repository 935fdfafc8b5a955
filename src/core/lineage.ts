/**
 * Image lineage model: which local image was built from which, with each image's containers as
 * its instances. Pure logic: no `vscode`, no dockerode. Input is plain engine JSON (image
 * inspect, image history, container list); output is a forest of {@link LineageNode}s.
 *
 * Parent choice for each image, most reliable first (each edge records its {@link ParentRule}):
 *  1. `parent-field`: the engine's `Parent` names an image in the input (legacy builder,
 *     `docker commit`). Empty for pulled and BuildKit-built images, so never relied on alone.
 *  2. `base-label`: `org.opencontainers.image.base.digest` (else `.base.name` when there is no
 *     digest label) resolves to a local image (Buildah, some official images, every build and
 *     commit of this extension). A label inherited unchanged from the structural parent is
 *     ignored (labels are inherited by children).
 *  3. `layer-prefix`: the nearest image whose diff-ID chain is a strict prefix of this chain.
 *  4. `same-layers-history`: an image with the *same* chain whose history is a strict prefix of
 *     this image's history (a child that only adds ENV/LABEL/CMD…). Same chain without such a
 *     history relation: siblings (both hang under the chain's structural parent).
 *  5. otherwise a root (`root`), or `base-not-present` when evidence says the image was built on
 *     a base that is not local (a base label or history that shows an earlier build).
 *
 * Index: every image's layer chain hashed prefix by prefix (lineageIndex.ts), so building is
 * linear in the total number of layers; no pairwise comparison. Same-chain groups are ordered
 * with a trie over history entries, also linear.
 *
 * Files: lineageRecords.ts (records and engine JSON), lineageIndex.ts (chain index),
 * lineageHistory.ts (history rules), lineageTree.ts (the forest's edges), lineageLink.ts (cycles,
 * hiding, order, nodes), lineageById.ts (ID lookups), lineageViews.ts (removal plans, state
 * groups, layer rows).
 * This module re-exports them.
 */

export * from './lineageRecords';
export { imagesNeedingHistory } from './lineageIndex';
export { baseEvidenceFromHistory } from './lineageHistory';
export * from './lineageTree';
export * from './lineageViews';
