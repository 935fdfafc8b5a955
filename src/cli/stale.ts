/**
 * `container-lineage stale [--json]`: the stale images (see core/staleness) with their recorded
 * and current base, from the same recipe store as the extension.
 * Exit codes: 0 ok (stale or not), 1 no engine, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { bestTag, shortId } from '../core/lineage';
import { familiarBaseName } from '../core/provenance';
import { recipeForImage, type RecipeBook } from '../core/recipes';
import { staleReason, type StaleImage, type StaleModel } from '../core/staleness';
import { loadStaleModel } from '../engine/rebuild';
import { RecipeStore } from '../store/recipeStore';
import { connectCli } from './connect';

const USAGE = `usage: container-lineage stale [--json]
  Lists stale images: built on a base whose tag now points to another image (or on a stale base),
  with the recorded and the current base. Images whose base cannot be known are never listed.
  --json   machine-readable output
`;

/** JSON shape of one stale image. */
export interface StaleJson {
  id: string;
  tags: string[];
  kind: StaleImage['kind'];
  reason: string;
  /** The recorded base: name (normalised) and ID, and where the record comes from. */
  base: { name: string | null; recordedId: string; currentId: string | null; source: 'label' | 'recipe' };
  /** `base-stale`: the stale base image. */
  staleBase: { tag: string; id: string } | null;
  /** The image whose tag moved, as it is now. */
  rootCause: { tag: string; id: string };
  builtAt: string | null;
  /** Whether a recipe is known (Rebuild Descendants can rebuild it). */
  recipe: boolean;
}

/** Stale images as JSON-ready data, in image list order. */
export function staleToJson(model: StaleModel, book: RecipeBook): StaleJson[] {
  return [...model.byId.values()].map((s) => ({
    id: s.image.id,
    tags: s.image.repoTags,
    kind: s.kind,
    reason: staleReason(s),
    base: {
      name: s.provenance.name ?? null,
      recordedId: s.provenance.id,
      currentId: s.provenance.name ? (model.resolve(s.provenance.name)?.id ?? null) : null,
      source: s.provenance.source,
    },
    staleBase: s.staleBase ? { tag: bestTag(s.staleBase.image), id: s.staleBase.image.id } : null,
    rootCause: { tag: bestTag(s.rootCause), id: s.rootCause.id },
    builtAt: Number.isFinite(s.builtAt) ? new Date(s.builtAt).toISOString() : null,
    recipe: recipeForImage(book, s.image.id) !== undefined,
  }));
}

/** Text lines for people. */
export function staleToText(entries: readonly StaleJson[]): string[] {
  if (entries.length === 0) return ['No stale images.'];
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${e.tags[0] ?? shortId(e.id)}  ${shortId(e.id)}  ${e.reason}`);
    const name = e.base.name ? familiarBaseName(e.base.name) : '(no name)';
    lines.push(`  base ${name}: recorded ${shortId(e.base.recordedId)}, now ${e.base.currentId ? shortId(e.base.currentId) : '—'} (from ${e.base.source})${e.recipe ? '' : '; no recipe: cannot be rebuilt'}`);
  }
  return lines;
}

/** Entry point of `container-lineage stale`. Returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let json: boolean;
  try {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    json = values.json === true;
  } catch (e) {
    process.stderr.write(`container-lineage stale: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const engine = await connectCli('stale');
  if (!engine) return 1;
  try {
    const store = new RecipeStore(undefined, { warn: (m) => process.stderr.write(`container-lineage stale: warning: ${m}\n`) });
    const { model, book } = await loadStaleModel(engine.docker(), store, engine.dialect);
    const entries = staleToJson(model, book);
    process.stdout.write(json ? JSON.stringify({ stale: entries }, null, 2) + '\n' : staleToText(entries).join('\n') + '\n');
    return 0;
  } finally {
    engine.dispose();
  }
}
