/**
 * What the code lenses over `FROM` lines say, as plain data (no `vscode` import): per stage, a
 * status (base present with its child count, missing, unresolved, invalid, an earlier stage,
 * scratch, or unknown while no engine is connected), whether "Show in tree" applies (a present
 * base image) and whether "Build child image" applies (a build target whose chain of in-file
 * links ends at a usable base).
 */
import { describeBase, rootStage, type DockerfileModel, type Stage } from './dockerfile';
import { bestTag, type ImageRecord, type LineageForest } from './lineage';
import { LocalImageIndex, type NameRules } from './reference';

/** Local images with their lineage, or undefined when no engine is connected. */
export interface LocalImageView {
  images: readonly ImageRecord[];
  forest: LineageForest;
  /** How the engine resolves names written without a registry (default Docker's). */
  names?: NameRules;
}

/** The status part of a stage's lenses. */
export type FromLensStatus =
  | { kind: 'present'; label: string; imageId: string; imageTag: string; children: number }
  | { kind: 'missing'; label: string }
  | { kind: 'unknown'; label: string }
  | { kind: 'stage'; stageIndex: number; stageLabel: string; line: number }
  | { kind: 'scratch' }
  | { kind: 'unresolved'; reason: string }
  | { kind: 'invalid'; reason: string };

/** Lenses of one stage, all on {@link line}. */
export interface FromLensPlan {
  /** Zero-based line of the FROM keyword. */
  line: number;
  stageIndex: number;
  status: FromLensStatus;
  /** Image ID for "Show in tree", when the base image is present. */
  showInTree?: string;
  /** Build target for "Build child image": null = the final stage (no target); undefined = no build lens. */
  buildTarget?: string | null;
}

/**
 * Plan the lenses for every stage of `model`.
 * @param local the local images and their lineage; undefined when the engine is unavailable.
 */
export function planFromLenses(model: DockerfileModel, local: LocalImageView | undefined): FromLensPlan[] {
  const index = local ? new LocalImageIndex(local.images, local.names) : undefined;
  const lookup = (s: Stage): ImageRecord | undefined => {
    const b = s.base;
    // As written (a short name is looked up where the engine looks it up), or an image ID.
    const ref = b.kind === 'image' ? b.reference.original : b.kind === 'id' ? b.id : undefined;
    return ref && index ? index.find(ref) : undefined;
  };
  return model.stages.map((s) => {
    const b = s.base;
    const plan: FromLensPlan = { line: s.fromLine, stageIndex: s.index, status: { kind: 'scratch' } };
    if (b.kind === 'image' || b.kind === 'id') {
      const label = describeBase(model, s);
      const img = lookup(s);
      if (!local) plan.status = { kind: 'unknown', label };
      else if (img) {
        plan.status = { kind: 'present', label, imageId: img.id, imageTag: bestTag(img), children: local.forest.byId.get(img.id)?.children.length ?? 0 };
        plan.showInTree = img.id;
      } else plan.status = { kind: 'missing', label };
    } else if (b.kind === 'stage') {
      const t = model.stages[b.stageIndex]!;
      plan.status = { kind: 'stage', stageIndex: t.index, stageLabel: t.name ?? `#${t.index + 1}`, line: t.fromLine };
    } else if (b.kind === 'unresolved' || b.kind === 'invalid') {
      plan.status = { kind: b.kind, reason: b.reason };
    }
    const root = rootStage(model, s);
    const usable = (r: Stage) => r.base.kind !== 'unresolved' && r.base.kind !== 'invalid';
    if (s.targetable && usable(s) && usable(root)) plan.buildTarget = s.index === model.stages.length - 1 ? null : s.name!;
    return plan;
  });
}

/** The status lens text (VS Code codicons allowed). */
export function statusTitle(status: FromLensStatus): string {
  switch (status.kind) {
    case 'present':
      return `$(check) ${status.label} · present · ${status.children} child image${status.children === 1 ? '' : 's'}`;
    case 'missing':
      return `$(warning) ${status.label} · not present locally`;
    case 'unknown':
      return `$(debug-disconnect) ${status.label}: engine not connected`;
    case 'stage':
      return `$(arrow-up) from stage ${status.stageLabel} (line ${status.line + 1})`;
    case 'scratch':
      return '$(circle-slash) scratch: no base image';
    case 'unresolved':
      return `$(warning) base unresolved: ${status.reason}`;
    case 'invalid':
      return `$(error) invalid base: ${status.reason}`;
  }
}
