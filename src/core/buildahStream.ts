/**
 * Podman's build stream, interpreted. Podman's compat `POST /build` runs Buildah (there is no
 * BuildKit and `version=2` is ignored); its stream is newline-delimited JSON like Docker's, with
 * Buildah's own text. Measured on podman 4.3.1 / Buildah 1.28.2 (test/unit/fixtures/buildah):
 *
 * - steps print as `[k/N] STEP i/n: INSTRUCTION …` in a multi-stage build (k = the stage's place in
 *   the file, counting the stages Buildah builds: every stage up to the target) and as
 *   `STEP i/n: …` with one stage; `i` counts the stage's instructions from its `FROM` (1);
 *   continuation lines are joined with their whitespace kept (`ENV A=1     B=2`); a
 *   `FROM <stage>` is printed with the stage's image ID;
 * - the build's `labels` parameter adds one more step, a `LABEL` that is in no Dockerfile line;
 * - each step that makes an image prints `--> <11 hex>` (`--> Using cache <64 hex>` from the
 *   cache); `COMMIT <name>` then `--> <id>` is the final image;
 * - success: `{"aux":{"ID":"sha256:…"}}`, then `Successfully built <12 hex>`;
 * - failure: `errorDetail` (and `error`) with HTTP 200, e.g. `building at STEP "RUN exit 3":
 *   while running runtime: exit status 3`; a Dockerfile error comes the same way when its step
 *   is reached (`building at STEP "ENV ": ENV requires at least one argument`);
 * - cancel: there is no `/build/cancel`; aborting the request makes Buildah stop after the step
 *   that runs (a `RUN` runs to its end), commit nothing and remove its working containers when
 *   `forcerm=1` was sent; step images stay as cache.
 * Pure: no engine access. Bytes are split into messages by the caller.
 */
import type { DockerfileModel, InstructionInfo } from './dockerfile';

/** One message of the build stream (the fields Buildah uses). */
export interface BuildahMessage {
  stream?: string;
  aux?: { ID?: string } & Record<string, unknown>;
  error?: string;
  errorDetail?: { message?: string };
}

/** A step line, parsed. */
export interface BuildahStep {
  /** 1-based stage number among the stages built; undefined in a one-stage build. */
  stage?: number;
  /** Stages built; undefined in a one-stage build. */
  stages?: number;
  /** 1-based step within the stage (its FROM is 1). */
  index: number;
  /** Steps of the stage (including a `labels` LABEL step on the last stage). */
  total: number;
  /** Upper-case keyword, e.g. "COPY". */
  keyword: string;
  /** The line as printed, e.g. "[2/2] STEP 3/5: LABEL a=b". */
  line: string;
}

const STEP_RE = /^(?:\[(\d+)\/(\d+)\]\s+)?STEP (\d+)\/(\d+): (\S+)/;

/** Parse a step line (`[1/2] STEP 1/3: FROM busybox AS build`, `STEP 2/2: RUN make`); undefined otherwise. */
export function parseBuildahStep(line: string): BuildahStep | undefined {
  const text = line.trim();
  const m = STEP_RE.exec(text);
  if (!m) return undefined;
  const step: BuildahStep = { index: Number(m[3]), total: Number(m[4]), keyword: m[5]!.toUpperCase(), line: text };
  if (m[1] !== undefined) {
    step.stage = Number(m[1]);
    step.stages = Number(m[2]);
  }
  return step;
}

/**
 * The Dockerfile instruction a Buildah step runs: instruction `index` of stage `stage` (the only
 * stage when none is printed). Undefined when the step is not in the file (the `labels` LABEL),
 * or the keyword does not match the model.
 */
export function instructionForBuildahStep(model: DockerfileModel, step: BuildahStep): InstructionInfo | undefined {
  const stage = step.stage === undefined ? (model.stages.length === 1 ? model.stages[0] : undefined) : model.stages[step.stage - 1];
  const ins = stage?.instructions[step.index - 1];
  return ins && ins.keyword === step.keyword ? ins : undefined;
}

/** The instruction Buildah names in an error (`building at STEP "RUN exit 3": …` → `RUN exit 3`). */
export function failedInstructionText(message: string): string | undefined {
  const m = /building at STEP "((?:[^"\\]|\\.)*)"/.exec(message);
  return m ? m[1]!.trim() : undefined;
}

/** Incremental interpreter of Podman's (Buildah's) build stream, one parsed message at a time. */
export class BuildahStreamInterpreter {
  private pending = '';
  private committing = false;
  /** The step running (the last step line seen). */
  step: BuildahStep | undefined;
  /** Step lines seen, in order. */
  readonly steps: BuildahStep[] = [];
  /** "sha256:…" of the built image, from `aux.ID` (or the short ID of "Successfully built"). */
  imageId: string | undefined;
  /** The first error of the stream: the build failed. */
  error: string | undefined;
  /** The step that was running when the error came. */
  failedStep: BuildahStep | undefined;
  /** Image IDs the steps made (`--> <id>`, from the cache too), not the final image; as printed. */
  readonly stepImages: string[] = [];

  /**
   * @param onLine each line of build output, without its newline.
   * @param onStep each step as it starts.
   */
  constructor(
    private readonly onLine: (line: string) => void = () => undefined,
    private readonly onStep: (step: BuildahStep) => void = () => undefined,
  ) {}

  /** Whether the stream, as seen so far, is a failure. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Interpret one message. */
  message(m: BuildahMessage): void {
    if (typeof m.stream === 'string') {
      this.pending += m.stream;
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) !== -1) {
        this.line(this.pending.slice(0, nl));
        this.pending = this.pending.slice(nl + 1);
      }
    }
    if (typeof m.aux?.ID === 'string' && !this.imageId) this.imageId = m.aux.ID;
    const error = m.errorDetail?.message ?? m.error;
    if (error !== undefined && this.error === undefined) {
      this.error = error.trim() || 'the build failed (the engine sent an empty error)';
      this.failedStep = this.step;
      this.onLine(this.error);
    }
  }

  /** The stream ended: flush a last line without newline. */
  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  private line(text: string): void {
    this.onLine(text);
    const step = parseBuildahStep(text);
    if (step) {
      this.step = step;
      this.steps.push(step);
      this.committing = false;
      this.onStep(step);
      return;
    }
    if (/^(\[\d+\/\d+\]\s+)?COMMIT\b/.test(text)) this.committing = true;
    const made = /^--> (?:Using cache )?([0-9a-f]{11,64})\s*$/.exec(text);
    // "--> Using cache <64 hex>" is followed by "--> <11 hex>" of the same image: keep one.
    if (made && !this.committing && !this.stepImages.some((id) => id.startsWith(made[1]!) || made[1]!.startsWith(id))) this.stepImages.push(made[1]!);
    const built = /^Successfully built ([0-9a-f]{12,64})\s*$/.exec(text);
    if (built && !this.imageId) this.imageId = built[1];
  }
}

/** The query parameters that give a Buildah build's `RUN` steps a network, or why it cannot. */
export type BuildahNetwork = { ok: true; query: Record<string, string> } | { ok: false; message: string };

/**
 * The `POST /build` parameters for a network mode on Podman's compat API (Podman 4.x,
 * `pkg/api/handlers/compat/images_build.go`, checked on 4.3.1 here). That handler reads
 * `networkmode` as Buildah's network policy (`NetworkDisabled`, `NetworkEnabled`, a number) —
 * Docker's `none` means nothing to it — and, unless `nsoptions` is sent, runs `RUN` in the
 * HOST's network namespace. So:
 * - `none`: `networkmode=NetworkDisabled` and `nsoptions=[{"Name":"network","Host":false}]`
 *   (measured: the RUN sees only `lo`; `networkmode=none` alone leaves it the host's interfaces);
 * - `host`: `nsoptions=[{"Name":"network","Host":true}]`;
 * - `default` or none given: nothing (Podman's default: the host's network namespace);
 * - any other name: refused (the compat handler has no way to attach a build to a named network).
 * @param mode the build's network mode (`containerLineage.build.network`, `--network`).
 */
export function buildahNetworkQuery(mode: string | undefined): BuildahNetwork {
  const m = (mode ?? '').trim();
  if (m === '' || m === 'default') return { ok: true, query: {} };
  if (m === 'none') return { ok: true, query: { networkmode: 'NetworkDisabled', nsoptions: JSON.stringify([{ Name: 'network', Host: false }]) } };
  if (m === 'host') return { ok: true, query: { nsoptions: JSON.stringify([{ Name: 'network', Host: true }]) } };
  return {
    ok: false,
    message: `Podman's Docker-compatible build (Buildah) runs RUN steps only with the none, host or default network, not "${m}": set containerLineage.build.network (or --network) to none, host or empty.`,
  };
}

/**
 * The instruction a Buildah error names (`building at STEP "COPY a /b": …`), for a failure whose
 * step line was not seen: the first instruction whose `KEYWORD text` is the quoted text.
 * Undefined when the error names none, or no instruction matches.
 */
export function instructionNamedInError(model: DockerfileModel, message: string): InstructionInfo | undefined {
  const named = failedInstructionText(message);
  if (named === undefined) return undefined;
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return model.instructions.find((i) => norm(`${i.keyword} ${i.text}`) === norm(named));
}
