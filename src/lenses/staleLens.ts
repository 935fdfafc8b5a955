/**
 * The stale lens over the FROM line of a Dockerfile that built a stale image: "base rebuilt since
 * child:1.0 was built · Rebuild" (a {@link FromLensContributor}). The recipe store says which
 * images a Dockerfile built (its path, target stage, tag); the lens goes on the target stage's
 * FROM line and runs Rebuild Descendants of the image the moved base tag points to now.
 */
import type * as vscode from 'vscode';
import { targetStage, type DockerfileModel } from '../core/dockerfile';
import type { ImageRecord } from '../core/lineage';
import { recipesForDockerfile } from '../core/recipes';
import { staleLensTitle, staleModelMemo, staleReason } from '../core/staleness';
import type { NameRules } from '../core/reference';
import type { RecipeStore } from '../store/recipeStore';
import type { FromLensSpec } from './from';
import type { FromLensContributor } from './fromLensContributions';

export class StaleLenses implements FromLensContributor {
  private readonly model = staleModelMemo();

  /** @param rebuildCommand command run by the lens, with the root-cause image ID as its argument. */
  constructor(
    private readonly store: RecipeStore,
    private readonly rebuildCommand: string,
  ) {}

  lenses(doc: vscode.TextDocument, model: DockerfileModel, images: readonly ImageRecord[] | undefined, names?: NameRules): FromLensSpec[] {
    if (!images || doc.uri.scheme !== 'file') return [];
    const book = this.store.read();
    const recipes = recipesForDockerfile(book, doc.uri.fsPath);
    if (recipes.length === 0) return [];
    const m = this.model(images, book, names);
    const out: FromLensSpec[] = [];
    for (const r of recipes) {
      const stale = m.byId.get(r.imageId);
      const stage = stale ? targetStage(model, r.target) : undefined;
      if (!stale || !stage) continue;
      out.push({
        line: stage.fromLine,
        title: `$(history) ${staleLensTitle(stale)} · Rebuild`,
        command: this.rebuildCommand,
        arguments: [stale.rootCause.id],
        tooltip: `${staleReason(stale)}. Rebuild Descendants… of the new base rebuilds it and what is built on it.`,
      });
    }
    return out;
  }
}
