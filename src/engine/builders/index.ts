/**
 * The builders and the one entry point the editor command, the CLI and the benchmarks use:
 * {@link runBuild} asks the engine about itself, chooses the builder (`src/core/builderChoice`),
 * parses the Dockerfile the way that builder's frontend will (`src/core/frontend`), refuses
 * features the frontend is known to lack before sending anything, runs the build, and explains
 * a failure that is a known frontend limit.
 *
 * Builders: classic and BuildKit (Docker), Buildah (Podman's compat `/build`, `./buildah`). Adding
 * one: implement {@link ImageBuilder} (see `./types`) and call {@link registerBuilder}.
 */
import type Docker from 'dockerode';
import type { EngineInfo } from '../endpointProbe';
import { builderLabel, chooseBuilder } from '../../core/builderChoice';
import { parseDockerfile } from '../../core/dockerfile';
import { explainBuildError, frontendFor, unsupportedFeatures, type BuilderName } from '../../core/frontend';
import { buildahBuilder } from './buildah';
import { buildkitBuilder } from './buildkit';
import { classicBuilder } from './classic';
import { probeEngine } from './facts';
import type { BuildInput, BuildOutcome, ImageBuilder } from './types';

export type { BuildInput, BuildOutcome, BuildProgressEvent, ImageBuilder } from './types';

const registry = new Map<BuilderName, ImageBuilder>([
  [classicBuilder.name, classicBuilder],
  [buildkitBuilder.name, buildkitBuilder],
  [buildahBuilder.name, buildahBuilder],
]);

/** Make a builder available to {@link runBuild} (replaces one of the same name). */
export function registerBuilder(builder: ImageBuilder): void {
  registry.set(builder.name, builder);
}

/** Names of the registered builders. */
export function availableBuilders(): BuilderName[] {
  return [...registry.keys()];
}

/** A build request: the builder-neutral input plus how to choose the builder. */
export interface BuildRequest extends BuildInput {
  /** `containerLineage.build.builder`: "auto" (default), "buildkit", "classic", "buildah" (Podman), or another registered name. */
  builder?: string;
  /** The connection's engine identity (for the choice and the frontend's limits). */
  engine?: EngineInfo;
}

/** What {@link runBuild} returns: the builder's outcome, and why that builder. */
export interface BuildRun extends BuildOutcome {
  /** Why this builder was chosen (one line). */
  reason: string;
  /** The frontend that parsed the Dockerfile, e.g. "the Dockerfile frontend 1.2 built into Docker Engine 20.10.24". */
  frontend?: string;
}

/**
 * Choose the builder, check the Dockerfile against its frontend, and build.
 * @returns the outcome; never rejects (engine errors, refusals and cancellation are in it). The
 *   first output line names the builder and why it was chosen.
 */
export async function runBuild(docker: Docker, req: BuildRequest): Promise<BuildRun> {
  const started = Date.now();
  const facts = await probeEngine(docker, req.engine);
  const choice = chooseBuilder(req.builder ?? 'auto', facts, availableBuilders());
  const refused = (builder: BuilderName, reason: string, error: string, failedRange?: BuildOutcome['failedRange']): BuildRun => ({
    ok: false,
    builder,
    reason,
    cancelled: false,
    error,
    failedRange,
    durations: { totalMs: Date.now() - started, steps: [] },
    stepImages: [],
  });
  if (!choice.ok) return refused(registry.has(req.builder as BuilderName) ? (req.builder as BuilderName) : 'classic', 'not available on this engine', choice.message);
  const frontend = frontendFor(choice.builder, { kind: facts.kind, version: facts.version ?? 'unknown', builderVersion: facts.kind === 'podman' ? facts.builderVersion : undefined });
  const model = parseDockerfile(req.dockerfileText, { buildArgs: req.buildArgs, dialect: frontend.dialect });
  req.onProgress?.({ kind: 'builder', builder: choice.builder, reason: choice.reason });
  req.onProgress?.({ kind: 'output', line: `Builder: ${builderLabel(choice.builder)} (${choice.reason})` });
  const limits = unsupportedFeatures(model, frontend);
  if (limits.length > 0) {
    const first = model.instructions.find((i) => i.range.start.line === limits[0]!.line);
    return { ...refused(choice.builder, choice.reason, limits.map((l) => l.message).join(' '), first?.range), frontend: frontend.label };
  }
  const outcome = await registry.get(choice.builder)!.build(docker, req, model);
  if (!outcome.ok && !outcome.cancelled && outcome.error !== undefined) {
    const explained = explainBuildError(outcome.error, model, frontend);
    if (explained) {
      outcome.engineError = outcome.error;
      outcome.error = explained.message;
      const line = explained.line;
      if (line !== undefined) outcome.failedRange ??= model.instructions.find((i) => i.range.start.line === line)?.range ?? { start: { line, character: 0 }, end: { line, character: 0 } };
    }
  }
  return { ...outcome, reason: choice.reason, frontend: frontend.label, durations: { ...outcome.durations, totalMs: Date.now() - started } };
}
