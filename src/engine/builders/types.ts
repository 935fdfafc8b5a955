/**
 * The one interface every image builder implements (classic builder, BuildKit, and Buildah for
 * Podman's compat API), so the editor command, the CLI and the benchmarks run any of them the
 * same way. Engine-neutral: nothing here is specific to one builder's stream.
 *
 * A builder must:
 * - pack the build context with {@link packBuildContext} (the Dockerfile text is sent inside it);
 * - never let the engine tag the image: the tag is applied by the builder only after the build
 *   succeeded (so a failed or cancelled build leaves no tag and never moves one);
 * - treat ANY error message in the stream as failure (engines answer HTTP 200 and then report
 *   the error in the stream);
 * - on `signal` abort: stop the request and whatever the engine runs for it, and resolve with
 *   `cancelled: true` (never reject);
 * - report progress through `onProgress`: `output` lines as the user should read them (the docker
 *   CLI's plain progress for BuildKit, the engine's text for the classic builder) and `step`
 *   events for a notification;
 * - map its failing step to the Dockerfile instruction through the model it is given
 *   (`src/core/buildSteps.ts`), and name parse-error lines.
 * Register it in `src/engine/builders/index.ts`; `src/core/builderChoice.ts` decides when it runs.
 */
import type Docker from 'dockerode';
import type { ContextStats } from '../context';
import type { DockerfileModel, InstructionInfo, Range } from '../../core/dockerfile';
import type { BuilderName } from '../../core/frontend';
import type { StepTiming } from '../../core/buildProgress';

/** What to build. */
export interface BuildInput {
  /** Absolute path of the build context folder. */
  contextDir: string;
  /** Dockerfile text (e.g. an unsaved editor buffer): what is built, whatever the file on disk holds. */
  dockerfileText: string;
  /**
   * The Dockerfile's file on disk, if it has one: when it lies in the context and holds exactly
   * `dockerfileText`, the context is sent as `docker build` would send it (the file itself);
   * otherwise the text is injected into the context under its own name.
   */
  dockerfilePath?: string;
  /** Name to tag the image with after success, e.g. "my-app:latest"; none when undefined. */
  tag?: string;
  /** Stage to stop at (a stage name); the last stage when undefined. */
  target?: string;
  /** Build args (`--build-arg K=V`). */
  buildArgs?: Readonly<Record<string, string>>;
  /** Labels set on the built image (a first-class input: provenance labels are added here). */
  labels?: Readonly<Record<string, string>>;
  /** Disable the build cache. */
  noCache?: boolean;
  /** Network for RUN steps ("default", "none", "host", or a network name for the classic builder). */
  networkMode?: string;
  /** Cancels the build: the request is aborted and the engine's build stopped. */
  signal?: AbortSignal;
  /** Progress as it happens. */
  onProgress?: (event: BuildProgressEvent) => void;
}

/** A progress event. */
export type BuildProgressEvent =
  /** One line of build output, without its newline. */
  | { kind: 'output'; line: string }
  /** The step the build is at: its name as the builder prints it, steps done and in total. */
  | { kind: 'step'; name: string; done: number; total: number }
  /** The builder was chosen (sent by `runBuild` before the build starts). */
  | { kind: 'builder'; builder: BuilderName; reason: string };

/** The outcome of a build; builders resolve with it whatever happens (they never reject). */
export interface BuildOutcome {
  ok: boolean;
  /** Which builder ran it. */
  builder: BuilderName;
  /** "sha256:…" of the built image (success only). */
  imageId?: string;
  /** Tag applied (success with a tag only). */
  tag?: string;
  /** Whether it was cancelled through the signal. */
  cancelled: boolean;
  /** What went wrong, as the user should read it (a known frontend limit is explained). */
  error?: string;
  /** The engine's own error message, when it differs from `error`. */
  engineError?: string;
  /** The failing step as the builder named it ("[stage-1 2/3] RUN make", "Step 4/5 : RUN make"). */
  failedStep?: string;
  /** The Dockerfile instruction the failure belongs to (zero-based range in the text that was sent). */
  failedRange?: Range;
  /** Durations: the whole build and each step (BuildKit) in ms. */
  durations: { totalMs: number; steps: StepTiming[] };
  /** Build context totals (undefined when it could not be packed). */
  context?: ContextStats;
  /**
   * Images that steps produced and the engine keeps as cache (classic builder: "---> <id>"
   * short IDs after each step; BuildKit keeps its cache outside the image store, so none).
   */
  stepImages: string[];
}

/** A builder. */
export interface ImageBuilder {
  readonly name: BuilderName;
  /**
   * Run a build.
   * @param model the Dockerfile model of `input.dockerfileText`, parsed with the frontend's
   *   dialect and the build args, for mapping steps to instructions.
   */
  build(docker: Docker, input: BuildInput, model: DockerfileModel): Promise<BuildOutcome>;
}

/** The range of an instruction, or of a 1-based line of the text. */
export function rangeOf(ins: InstructionInfo | undefined, line1?: number): Range | undefined {
  if (ins) return ins.range;
  if (line1 !== undefined && line1 >= 1) return { start: { line: line1 - 1, character: 0 }, end: { line: line1 - 1, character: 0 } };
  return undefined;
}
