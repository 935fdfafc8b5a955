/**
 * Extension point of the FROM code lenses: features add lenses to a Dockerfile's FROM lines
 * without editing the lens provider, which appends {@link contributedFromLenses} (computed from
 * the same document model and local images) and refreshes on the contributors' change.
 */
import type * as vscode from 'vscode';
import type { DockerfileModel } from '../core/dockerfile';
import type { ImageRecord } from '../core/lineage';
import type { NameRules } from '../core/reference';
import { ContributionPoint } from '../views/contributionPoint';
import type { FromLensSpec } from './from';

/** A feature's extra lenses. */
export interface FromLensContributor {
  /** Lenses for `doc`; `images` is undefined while no engine is connected; `names` the engine's name rules. */
  lenses(doc: vscode.TextDocument, model: DockerfileModel, images: readonly ImageRecord[] | undefined, names?: NameRules): FromLensSpec[];
}

/** The contributors of extra FROM lenses. */
export const fromLensContributors = new ContributionPoint<FromLensContributor>();

/** Every contributor's lenses for `doc`. */
export function contributedFromLenses(doc: vscode.TextDocument, model: DockerfileModel, images: readonly ImageRecord[] | undefined, names?: NameRules): FromLensSpec[] {
  const out: FromLensSpec[] = [];
  fromLensContributors.forEach((c) => out.push(...c.lenses(doc, model, images, names)));
  return out;
}
