/**
 * Buildah builds through Podman's Docker-compatible API: `POST /build` on Podman runs Buildah
 * whatever `version` says (there is no BuildKit), with the context as the tar request body and a
 * newline-delimited JSON stream of Buildah's text (interpreted by `core/buildahStream`).
 *
 * Request: `rm=1&forcerm=1` (without `forcerm` a failed build leaves Buildah's working containers
 * behind), the network as Podman understands it ({@link buildahNetworkQuery}), never `t`: the
 * tag is applied after success, so a failed or cancelled build leaves no tag and moves none.
 *
 * Cancel: Podman has no `/build/cancel`. Aborting the request makes Buildah stop after the step
 * that runs, commit nothing and remove its working containers — but a `RUN` that runs is not
 * stopped (Podman 4.3 measured: its process runs to its end). So on cancel the builder also
 * removes the build's working containers itself (Podman's libpod API lists them with
 * `external=true`) and waits until they are gone; the RUN's process cannot be stopped through
 * the API and runs on in the removed container's namespaces until it exits.
 */
import type Docker from 'dockerode';
import { buildahNetworkQuery, BuildahStreamInterpreter, instructionForBuildahStep, instructionNamedInError, type BuildahMessage } from '../../core/buildahStream';
import type { DockerfileModel } from '../../core/dockerfile';
import { buildQuery, dialRaw, errorLineOf, JsonLineSplitter, postBuild, readJsonLines, requestErrorMessage, startContext, tagBuiltImage } from './request';
import { rangeOf, type BuildInput, type BuildOutcome, type ImageBuilder } from './types';

/** How long a cancel waits for the build's working containers to be gone, in ms. */
const REMOVE_WAIT_MS = 15_000;
/** How long one libpod request may take, in ms. */
const LIBPOD_TIMEOUT_MS = 10_000;
/** The libpod API version put in front of libpod paths when the client sends none (Podman 4's minimum). */
const LIBPOD_API = 'v4.0.0';

/** A Buildah working container as Podman's libpod API lists it (`GET /libpod/containers/json?external=true`). */
export interface WorkingContainer {
  Id: string;
  /** Image ID the container was made from (64 hex, no `sha256:`). */
  ImageID?: string;
  Names?: string[];
}

/**
 * A libpod path the client can send: libpod routes exist only under a version prefix
 * (`/v4.0.0/libpod/…`; unversioned they answer 404), and docker-modem adds the client's own
 * `/v<api>` prefix when it has one.
 */
function libpodPath(docker: Docker, path: string): string {
  const version = (docker as unknown as { modem: { version?: string } }).modem.version;
  return version ? path : `/${LIBPOD_API}${path}`;
}

async function readBody(res: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Containers in Podman's storage that are not Podman's own: Buildah's working containers
 * (`podman ps --external`).
 * @throws when the engine has no libpod API (not Podman) or does not answer.
 */
export async function listWorkingContainers(docker: Docker): Promise<WorkingContainer[]> {
  const res = await dialRaw(docker, { path: `${libpodPath(docker, '/libpod/containers/json')}?`, method: 'GET', options: { all: true, external: true }, abortSignal: AbortSignal.timeout(LIBPOD_TIMEOUT_MS) });
  const list = JSON.parse(await readBody(res)) as Array<WorkingContainer & { IsInfra?: boolean }>;
  return list.filter((c) => typeof c.Id === 'string');
}

/** Remove one working container from Podman's storage (`DELETE /libpod/containers/{id}?force=true`); errors ignored (gone already). */
async function removeWorkingContainer(docker: Docker, id: string): Promise<void> {
  try {
    const res = await dialRaw(docker, { path: `${libpodPath(docker, `/libpod/containers/${encodeURIComponent(id)}`)}?`, method: 'DELETE', options: { force: true }, abortSignal: AbortSignal.timeout(LIBPOD_TIMEOUT_MS) });
    res.resume();
  } catch {
    // gone (Buildah removed it) or being removed
  }
}

/**
 * The image IDs (64 hex, or the short IDs printed) a build's working containers can be made
 * from: each built stage's external base as the engine resolves it, the stage images printed in
 * `FROM <id>` steps, and the step images printed.
 */
async function buildImages(docker: Docker, model: DockerfileModel, interp: BuildahStreamInterpreter): Promise<string[]> {
  const ids = new Set<string>(interp.stepImages);
  for (const stage of model.stages) {
    const ref = stage.base.kind === 'image' ? stage.baseResolved : stage.base.kind === 'id' ? stage.base.id : undefined;
    if (!ref) continue;
    const id = await docker.getImage(ref).inspect().then((i) => i.Id, () => undefined);
    if (id) ids.add(id.replace(/^sha256:/, ''));
  }
  for (const s of interp.steps) {
    const m = /\bFROM ([0-9a-f]{64})\b/.exec(s.line);
    if (m) ids.add(m[1]!);
  }
  return [...ids];
}

/**
 * After a cancel: remove the working containers this build made (listed now, absent before it
 * started, made from one of its images) and wait until Podman lists none of them.
 * @returns how many were removed.
 */
async function removeBuildContainers(docker: Docker, before: ReadonlySet<string>, images: readonly string[]): Promise<number> {
  const ours = (c: WorkingContainer) => !before.has(c.Id) && c.ImageID !== undefined && images.some((i) => c.ImageID!.startsWith(i) || i.startsWith(c.ImageID!));
  const found = (await listWorkingContainers(docker).catch(() => [])).filter(ours);
  for (const c of found) await removeWorkingContainer(docker, c.Id);
  const deadline = Date.now() + REMOVE_WAIT_MS;
  const ids = new Set(found.map((c) => c.Id));
  while (ids.size > 0 && Date.now() < deadline) {
    const left = (await listWorkingContainers(docker).catch(() => [])).filter((c) => ids.has(c.Id));
    if (left.length === 0) break;
    for (const c of left) await removeWorkingContainer(docker, c.Id);
    await new Promise((r) => setTimeout(r, 250));
  }
  return found.length;
}

/** The query of a Buildah build request (without the network, see {@link buildahNetworkQuery}). */
export function buildahQuery(input: BuildInput, network: Record<string, string>): Record<string, unknown> {
  return { ...buildQuery({ ...input, networkMode: undefined }, { rm: true, forcerm: true }), ...network };
}

/** The Buildah builder (Podman). */
export const buildahBuilder: ImageBuilder = {
  name: 'buildah',
  async build(docker: Docker, input: BuildInput, model: DockerfileModel): Promise<BuildOutcome> {
    const started = Date.now();
    const emit = (line: string) => input.onProgress?.({ kind: 'output', line });
    const interp = new BuildahStreamInterpreter(emit, (step) => input.onProgress?.({ kind: 'step', name: step.line, done: step.index - 1, total: step.total }));
    const cancelled = (): boolean => input.signal?.aborted === true;
    let context: BuildOutcome['context'];
    const result = (extra: Partial<BuildOutcome>): BuildOutcome => ({
      ok: false,
      builder: 'buildah',
      cancelled: cancelled(),
      context,
      durations: { totalMs: Date.now() - started, steps: [] },
      stepImages: [...interp.stepImages],
      ...extra,
    });
    const network = buildahNetworkQuery(input.networkMode);
    if (!network.ok) return result({ error: network.message });
    // What Buildah had before this build, so a cancel removes only this build's working containers.
    const before = new Set((await listWorkingContainers(docker).catch(() => [])).map((c) => c.Id));
    const upload = await startContext(input.contextDir, input.dockerfileText, input.dockerfilePath, input.signal);
    try {
      let response;
      try {
        response = await postBuild(docker, buildahQuery(input, network.query), upload);
      } catch (err) {
        const msg = requestErrorMessage(err);
        context = await upload.finish();
        return result({ error: cancelled() ? 'Build cancelled.' : msg, failedRange: cancelled() ? undefined : rangeOf(undefined, errorLineOf(msg)) });
      }
      const streamError = await readJsonLines(response, new JsonLineSplitter((m) => interp.message(m as BuildahMessage), emit));
      interp.end();
      context = await upload.finish();
      if (cancelled()) {
        const removed = await removeBuildContainers(docker, before, await buildImages(docker, model, interp));
        if (removed > 0 && interp.step?.keyword === 'RUN') {
          emit(`Podman cannot stop a RUN step that is running: its working container was removed, and its process runs on until it exits.`);
        }
        return result({ error: 'Build cancelled.', failedStep: interp.step?.line });
      }
      if (interp.failed) {
        const ins = (interp.failedStep && instructionForBuildahStep(model, interp.failedStep)) || instructionNamedInError(model, interp.error!);
        return result({ error: interp.error, failedStep: interp.failedStep?.line, failedRange: rangeOf(ins, ins ? undefined : errorLineOf(interp.error)) });
      }
      if (streamError) return result({ error: `The build stream broke off: ${streamError.message}`, failedStep: interp.step?.line });
      if (!interp.imageId) return result({ error: 'Podman finished the build without reporting an image ID.' });
      const imageId = await tagBuiltImage(docker, interp.imageId, input.tag);
      return result({ ok: true, imageId, tag: input.tag, cancelled: false });
    } catch (err) {
      return result({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      upload.dispose();
    }
  },
};
