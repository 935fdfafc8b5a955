/**
 * What the Dockerfile frontend that will run a build can do, and clear messages for what it
 * cannot: the frontend built into the engine's BuildKit (Docker Engine 18.09+), the classic
 * builder, Buildah in Podman (its version from Podman's `Libpod-Buildah-Version` ping header),
 * or an unknown one (newer engines: the engine decides).
 *
 * Facts (Dockerfile frontend changelog, docs.docker.com/build/buildkit/dockerfile-release-notes,
 * and measured on Docker Engine 20.10.24 here): the frontend built into Engine 20.10 is 1.2 —
 * `RUN --mount` (bind, cache, tmpfs; secret/ssh need a client session), `--chmod`, no heredocs,
 * no `COPY --link`, no `RUN --network` (1.3), no `ADD --checksum` (1.6); it knows the `syntax`
 * and `escape` directives only (`check` came with 1.8). Engine 23.0 builds in 1.4+ (heredocs,
 * `--link`). A `# syntax=` directive makes BuildKit pull that frontend image from its registry.
 * The classic builder has none of the flags above (`the --mount option requires BuildKit`).
 */
import { engineTitle, type EngineKind } from './dialect';
import type { DockerfileModel, InstructionInfo } from './dockerfile';
import { CURRENT_DIALECT, type ParserDialect } from './dockerfileLines';

/** Parser rules of the Dockerfile frontend 1.2 built into Docker Engine 20.10 (and the classic builder there). */
export const FRONTEND_1_2_DIALECT: ParserDialect = { directives: ['syntax', 'escape'], heredocs: false };

/** A builder that can run a build (see `src/engine/builders`). */
export type BuilderName = 'buildkit' | 'classic' | 'buildah';

/** The frontend a build will use and what is known about it. */
export interface FrontendInfo {
  /** Human name, e.g. "the Dockerfile frontend 1.2 built into Docker Engine 20.10". */
  label: string;
  /** Parser rules (how the model should split the file). */
  dialect: ParserDialect;
  /** Features it lacks; undefined when not known (then nothing is refused before the build). */
  unsupported?: ReadonlySet<Feature>;
  /** What has a feature, when it differs from the Dockerfile frontend's history (Buildah). */
  needs?: Partial<Record<Feature, string>>;
}

/** Dockerfile features that some frontends lack. */
export type Feature = 'run-mount' | 'chmod' | 'heredoc' | 'link' | 'run-network' | 'run-security' | 'add-checksum' | 'copy-parents' | 'copy-exclude';

/** Where a feature first appeared: shown in messages ("needs …"). */
const NEEDS: Record<Feature, { what: string; needs: string }> = {
  'run-mount': { what: '`RUN --mount`', needs: 'BuildKit (set containerLineage.build.builder to auto or buildkit)' },
  chmod: { what: '`--chmod` on COPY/ADD', needs: 'BuildKit (set containerLineage.build.builder to auto or buildkit)' },
  heredoc: { what: 'Heredocs (`<<EOF` in RUN, COPY, ADD)', needs: 'Dockerfile frontend 1.4 or newer, built into Docker Engine 23.0 and later' },
  link: { what: '`--link` on COPY/ADD', needs: 'Dockerfile frontend 1.4 or newer, built into Docker Engine 23.0 and later' },
  'run-network': { what: '`RUN --network`', needs: 'Dockerfile frontend 1.3 or newer, built into Docker Engine 23.0 and later' },
  'run-security': { what: '`RUN --security`', needs: 'the Dockerfile frontend\'s labs channel (docker/dockerfile:1-labs) and an engine that allows insecure entitlements' },
  'add-checksum': { what: '`ADD --checksum`', needs: 'Dockerfile frontend 1.6 or newer (a newer Docker Engine)' },
  'copy-parents': { what: '`COPY --parents`', needs: 'a newer Dockerfile frontend (1.7 labs, stable since 1.20)' },
  'copy-exclude': { what: '`COPY --exclude`', needs: 'a newer Dockerfile frontend (1.7 labs, stable since 1.19)' },
};

const FLAG_FEATURES: Record<string, Feature> = {
  mount: 'run-mount',
  chmod: 'chmod',
  link: 'link',
  network: 'run-network',
  security: 'run-security',
  checksum: 'add-checksum',
  parents: 'copy-parents',
  exclude: 'copy-exclude',
};

const FRONTEND_1_2_LACKS: ReadonlySet<Feature> = new Set(['heredoc', 'link', 'run-network', 'run-security', 'add-checksum', 'copy-parents', 'copy-exclude']);
const CLASSIC_LACKS: ReadonlySet<Feature> = new Set([...FRONTEND_1_2_LACKS, 'run-mount', 'chmod']);
/**
 * Buildah 1.28 (Podman 4.3.1 here, measured): `RUN --mount` and `--chmod` build; heredocs,
 * `--link`, `RUN --network`/`--security`, `ADD --checksum`, `COPY --parents`/`--exclude` fail
 * ("COPY only supports the --chmod=<permissions> --chown=<uid:gid> and the --from=<image|stage>
 * flags"; a heredoc's body is read as instructions). Heredocs came with Buildah 1.33 (Podman 4.8).
 */
const BUILDAH_1_28_LACKS: ReadonlySet<Feature> = FRONTEND_1_2_LACKS;
/** Buildah 1.29–1.32: heredocs still missing; the other flags not measured (the engine decides). */
const BUILDAH_BEFORE_1_33_LACKS: ReadonlySet<Feature> = new Set(['heredoc']);

function buildahNeeds(version: string): Partial<Record<Feature, string>> {
  const newer = `a newer Buildah than ${version} (or a Docker engine with BuildKit)`;
  return { heredoc: 'Buildah 1.33 or newer (Podman 4.8 and later)', link: newer, 'run-network': newer, 'run-security': newer, 'add-checksum': newer, 'copy-parents': newer, 'copy-exclude': newer };
}

/** Major.minor of a version string ("20.10.24+dfsg1" → [20, 10]); undefined when not a version. */
export function majorMinor(version: string | undefined): [number, number] | undefined {
  const m = version ? /^v?(\d+)\.(\d+)/.exec(version.trim()) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The frontend a build with `builder` on this engine uses.
 * @param engine the engine's dialect (core/dialect) and server version ("20.10.24+dfsg1").
 */
export function frontendFor(builder: BuilderName, engine: { kind: EngineKind; version: string; builderVersion?: string }): FrontendInfo {
  const v = majorMinor(engine.version);
  const docker = engine.kind === 'docker';
  const old = docker && v !== undefined && v[0] < 23;
  const title = engineTitle(engine.kind, engine.version);
  if (builder === 'classic') {
    return { label: `the classic builder of ${title}`, dialect: old ? FRONTEND_1_2_DIALECT : CURRENT_DIALECT, unsupported: docker ? CLASSIC_LACKS : undefined };
  }
  if (builder === 'buildkit' && old) {
    return { label: `the Dockerfile frontend 1.2 built into ${title}`, dialect: FRONTEND_1_2_DIALECT, unsupported: FRONTEND_1_2_LACKS };
  }
  if (builder === 'buildah') {
    const b = majorMinor(engine.builderVersion);
    const label = `Buildah${engine.builderVersion ? ` ${engine.builderVersion}` : ''} in ${title}`;
    if (b === undefined || b[0] > 1 || b[1] >= 33) return { label, dialect: CURRENT_DIALECT };
    return { label, dialect: FRONTEND_1_2_DIALECT, unsupported: b[1] < 29 ? BUILDAH_1_28_LACKS : BUILDAH_BEFORE_1_33_LACKS, needs: buildahNeeds(engine.builderVersion!) };
  }
  return { label: `the Dockerfile frontend built into ${title}`, dialect: CURRENT_DIALECT };
}

/** A feature the frontend cannot build, with its instruction. */
export interface FrontendProblem {
  feature: Feature | 'syntax' | 'session' | 'network-mode';
  /** Zero-based line of the instruction (or directive) that uses it; undefined when it is a build option. */
  line?: number;
  /** What to tell the user: the feature, that this frontend lacks it, what has it. */
  message: string;
}

function featuresOf(ins: InstructionInfo): Feature[] {
  const out: Feature[] = [];
  if (ins.heredocs.length > 0 || ins.latentHeredocs.length > 0) out.push('heredoc');
  for (const f of ins.flags) {
    const feature = FLAG_FEATURES[f.name.toLowerCase()];
    if (feature && !out.includes(feature)) out.push(feature);
  }
  return out;
}

function problemFor(feature: Feature, line: number, frontend: FrontendInfo): FrontendProblem {
  const n = NEEDS[feature];
  return { feature, line, message: `${n.what} (line ${line + 1}) is not supported by ${frontend.label}; it needs ${frontend.needs?.[feature] ?? n.needs}.` };
}

/**
 * Features of the Dockerfile that the frontend is known to lack (checked before a build, so the
 * message names the feature instead of the engine's parse error). Empty when the frontend's
 * limits are unknown.
 */
export function unsupportedFeatures(model: DockerfileModel, frontend: FrontendInfo): FrontendProblem[] {
  const out: FrontendProblem[] = [];
  if (!frontend.unsupported) return out;
  for (const ins of model.instructions) {
    for (const f of featuresOf(ins)) if (frontend.unsupported.has(f)) out.push(problemFor(f, ins.range.start.line, frontend));
  }
  return out;
}

/**
 * A clearer message for a failed build, when the engine's error is one of the known frontend
 * limits: an unknown flag, an instruction that is really a heredoc body, a `# syntax=` frontend
 * image that could not be fetched, a secret or ssh mount without a session.
 * @param error the engine's error message.
 * @param model the Dockerfile model the build was sent with.
 * @returns the message and the line it concerns (zero-based), or undefined when nothing is known.
 */
export function explainBuildError(error: string, model: DockerfileModel, frontend: FrontendInfo): FrontendProblem | undefined {
  const syntax = model.directives.find((d) => d.name === 'syntax');
  if (syntax && /frontend|gateway|docker\/dockerfile|registry|manifest|pull|resolve|no such host|dial tcp/i.test(error) && !/parse error/i.test(error)) {
    return {
      feature: 'syntax',
      line: syntax.line,
      message: `The \`# syntax=${syntax.value}\` directive (line ${syntax.line + 1}) makes the engine fetch that frontend image from its registry, and it could not (${error.trim()}). Remove the directive to use the frontend built into the engine, or build where the registry is reachable.`,
    };
  }
  if (/no active sessions?/i.test(error)) {
    const ins = model.instructions.find((i) => i.flags.some((f) => f.name === 'mount' && /type=(secret|ssh)/.test(f.value ?? '')));
    if (ins) {
      return {
        feature: 'session',
        line: ins.range.start.line,
        message: `Secret and ssh mounts (\`RUN --mount=type=secret|ssh\`, line ${ins.range.start.line + 1}) need a BuildKit client session, which Container Lineage does not open; build this Dockerfile with \`DOCKER_BUILDKIT=1 docker build\`.`,
      };
    }
  }
  const network = /network mode "([^"]*)" not supported by buildkit/i.exec(error);
  if (network) {
    return {
      feature: 'network-mode',
      message: `BuildKit runs RUN steps only with the none, host or default network, not "${network[1]}": set containerLineage.build.network (or --network) to none, host or empty, or build with the classic builder.`,
    };
  }
  const lineMatch = /\bline (\d+)\b/i.exec(error);
  const errLine = lineMatch ? Number(lineMatch[1]) - 1 : undefined;
  const flag = /unknown flag: ([\w-]+)/i.exec(error);
  if (flag) {
    const feature = FLAG_FEATURES[flag[1]!.toLowerCase()];
    if (feature) return problemFor(feature, errLine ?? model.instructions.find((i) => i.flags.some((f) => f.name === flag[1]))?.range.start.line ?? 0, frontend);
  }
  if (/requires buildkit/i.test(error)) {
    const ins = model.instructions.find((i) => featuresOf(i).some((f) => f === 'run-mount' || f === 'chmod'));
    if (ins) return problemFor(featuresOf(ins).find((f) => f === 'run-mount' || f === 'chmod')!, ins.range.start.line, frontend);
  }
  if (errLine !== undefined && /unknown instruction/i.test(error)) {
    // An "instruction" that is the body of a heredoc the frontend did not recognise.
    const opener = [...model.instructions].reverse().find((i) => i.range.start.line < errLine && featuresOf(i).includes('heredoc'));
    if (opener) return problemFor('heredoc', opener.range.start.line, frontend);
  }
  return undefined;
}
