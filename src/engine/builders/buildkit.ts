/**
 * BuildKit builds over the Engine API without a session: `POST /build?version=2` with the build
 * context as the tar request body (the engine hands it to its Dockerfile frontend as "[internal]
 * load remote build context"). A session would only be needed for secret/ssh mounts, registry
 * credentials and local outputs.
 *
 * Stream (measured on Docker Engine 20.10): `{"id":"moby.buildkit.trace","aux":"<base64>"}`
 * messages carry the progress ({@link decodeTrace}, merged and rendered by {@link BuildProgress});
 * `{"id":"moby.image.id","aux":{"ID":"sha256:…"}}` names the image (it may come before the last
 * trace messages, so the stream is read to its end); failure is an `error`/`errorDetail` message
 * with HTTP 200.
 *
 * The engine is never asked to tag (`t` is not sent): the tag is applied after success.
 * Cancel: the request carries a `buildid`; on abort the request is dropped and
 * `POST /build/cancel?id=<buildid>` stops the solve (and the running step's process).
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { BuildProgress } from '../../core/buildProgress';
import { instructionForVertex } from '../../core/buildSteps';
import type { DockerfileModel } from '../../core/dockerfile';
import { decodeTrace } from './trace';
import { buildQuery, dialRaw, errorLineOf, JsonLineSplitter, messageError, postBuild, readJsonLines, requestErrorMessage, startContext, tagBuiltImage, type BuildMessage } from './request';
import { rangeOf, type BuildInput, type BuildOutcome, type ImageBuilder } from './types';

/** How long `POST /build/cancel` may take, in ms. */
const CANCEL_TIMEOUT_MS = 10_000;

/** `POST /build/cancel?id=…`; errors are ignored (the build may be over already). */
export async function cancelBuild(docker: Docker, buildId: string): Promise<void> {
  try {
    const res = await dialRaw(docker, { path: '/build/cancel?', method: 'POST', options: { id: buildId }, abortSignal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
    res.resume();
  } catch {
    // nothing to cancel any more, or the engine is gone: the dropped request cancels too
  }
}

/** The query of a BuildKit build request. */
export function buildkitQuery(input: BuildInput, buildId: string): Record<string, unknown> {
  return buildQuery(input, { version: '2', buildid: buildId });
}

/** The BuildKit builder. */
export const buildkitBuilder: ImageBuilder = {
  name: 'buildkit',
  async build(docker: Docker, input: BuildInput, model: DockerfileModel): Promise<BuildOutcome> {
    const started = Date.now();
    const buildId = `container-lineage-${randomBytes(8).toString('hex')}`;
    const progress = new BuildProgress();
    const upload = await startContext(input.contextDir, input.dockerfileText, input.dockerfilePath, input.signal);
    const cancelled = (): boolean => input.signal?.aborted === true;
    const emit = (line: string) => input.onProgress?.({ kind: 'output', line });
    let cancelSent: Promise<void> | undefined;
    const onAbort = (): void => {
      cancelSent ??= cancelBuild(docker, buildId);
    };
    input.signal?.addEventListener('abort', onAbort, { once: true });
    let imageId: string | undefined;
    let error: string | undefined;
    let lastStep = '';
    let context: BuildOutcome['context'];
    const result = (extra: Partial<BuildOutcome>): BuildOutcome => ({
      ok: false,
      builder: 'buildkit',
      cancelled: cancelled(),
      context,
      durations: { totalMs: Date.now() - started, steps: progress.timings() },
      stepImages: [],
      ...extra,
    });
    const onMessage = (m: BuildMessage): void => {
      if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') {
        let lines: string[];
        try {
          lines = progress.apply(decodeTrace(m.aux));
        } catch (err) {
          lines = [`(a progress message could not be decoded: ${err instanceof Error ? err.message : String(err)})`];
        }
        for (const l of lines) emit(l);
        const at = progress.current();
        const key = at ? `${at.name} ${at.done}/${at.total}` : '';
        if (at && key !== lastStep) {
          lastStep = key;
          input.onProgress?.({ kind: 'step', name: at.name, done: at.done, total: at.total });
        }
      } else if (m.id === 'moby.image.id') {
        const id = (m.aux as { ID?: unknown } | undefined)?.ID;
        if (typeof id === 'string') imageId = id;
      } else if (typeof m.stream === 'string') {
        for (const l of m.stream.replace(/\n$/, '').split('\n')) emit(l);
      }
      const e = messageError(m);
      if (e !== undefined) {
        emit(`ERROR: ${e}`);
        error ??= e;
      }
    };
    try {
      let response;
      try {
        response = await postBuild(docker, buildkitQuery(input, buildId), upload);
      } catch (err) {
        const msg = requestErrorMessage(err);
        context = await upload.finish();
        return result({ error: cancelled() ? 'Build cancelled.' : msg, failedRange: cancelled() ? undefined : rangeOf(undefined, errorLineOf(msg)) });
      }
      const streamError = await readJsonLines(response, new JsonLineSplitter(onMessage, emit));
      for (const l of progress.end()) emit(l);
      context = await upload.finish();
      if (cancelled()) {
        await cancelSent;
        return result({ error: 'Build cancelled.', failedStep: progress.current()?.name });
      }
      if (error !== undefined) {
        const failed = progress.failed;
        const ins = failed ? instructionForVertex(model, failed.name) : undefined;
        return result({ error, failedStep: failed?.step ? failed.name : undefined, failedRange: rangeOf(ins, ins ? undefined : errorLineOf(error)) });
      }
      if (streamError) return result({ error: `The build stream broke off: ${streamError.message}`, failedStep: progress.current()?.name });
      if (!imageId) return result({ error: 'The engine finished the build without reporting an image ID.' });
      const id = await tagBuiltImage(docker, imageId, input.tag);
      return result({ ok: true, imageId: id, tag: input.tag, cancelled: false });
    } catch (err) {
      return result({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
      upload.dispose();
    }
  },
};
