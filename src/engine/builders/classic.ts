/**
 * The classic builder (`POST /build?version=1`): the context in the request body, "Step N/M : …"
 * text that maps to Dockerfile instructions, and the base image recorded as the new image's
 * `Parent`. Podman's compat API answers the same request with Buildah.
 */
import type Docker from 'dockerode';
import { instructionForStep } from '../../core/buildSteps';
import type { DockerfileModel } from '../../core/dockerfile';
import { BuildStreamInterpreter } from './classicStream';
import { buildQuery, errorLineOf, postBuild, readJsonLines, requestErrorMessage, startContext, tagBuiltImage } from './request';
import { rangeOf, type BuildInput, type BuildOutcome, type ImageBuilder } from './types';

/** How long a cancel waits for the step's container to be gone, in ms. */
const REMOVE_WAIT_MS = 15_000;

/**
 * Remove the step's container and wait until it is gone (the engine may be removing it already:
 * a 409 "removal in progress"), so a cancelled build returns with nothing of it left.
 */
async function removeStepContainer(docker: Docker, containerId: string): Promise<void> {
  const c = docker.getContainer(containerId);
  await c.remove({ force: true }).catch(() => undefined); // gone (404) or being removed (409)
  const deadline = Date.now() + REMOVE_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      await c.inspect();
    } catch {
      return; // 404: gone
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Removes the colour codes (SGR) the classic builder wraps warnings in. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Splits the engine's text into whole lines for `onProgress`. */
function lineEmitter(input: BuildInput): { text: (t: string) => void; flush: () => void } {
  let partial = '';
  const emit = (line: string) => input.onProgress?.({ kind: 'output', line });
  return {
    text: (t) => {
      partial += t;
      let nl: number;
      while ((nl = partial.indexOf('\n')) !== -1) {
        const line = stripAnsi(partial.slice(0, nl).replace(/\r$/, ''));
        partial = partial.slice(nl + 1);
        emit(line);
        const step = /^Step (\d+)\/(\d+) : /.exec(line);
        if (step) input.onProgress?.({ kind: 'step', name: line, done: Number(step[1]) - 1, total: Number(step[2]) });
      }
    },
    flush: () => {
      if (partial) emit(stripAnsi(partial));
      partial = '';
    },
  };
}

/** The classic builder. */
export const classicBuilder: ImageBuilder = {
  name: 'classic',
  async build(docker: Docker, input: BuildInput, model: DockerfileModel): Promise<BuildOutcome> {
    const started = Date.now();
    const upload = await startContext(input.contextDir, input.dockerfileText, input.dockerfilePath, input.signal);
    const lines = lineEmitter(input);
    const interp = new BuildStreamInterpreter(lines.text);
    const cancelled = (): boolean => input.signal?.aborted === true;
    let context: BuildOutcome['context'];
    const result = (extra: Partial<BuildOutcome>): BuildOutcome => ({
      ok: false,
      builder: 'classic',
      cancelled: cancelled(),
      context,
      durations: { totalMs: Date.now() - started, steps: [] },
      stepImages: [...interp.stepImages],
      ...extra,
    });
    try {
      let response;
      try {
        response = await postBuild(docker, buildQuery(input, { version: '1', rm: true, forcerm: true, pull: false }), upload);
      } catch (err) {
        const msg = requestErrorMessage(err);
        context = await upload.finish();
        return result({ error: cancelled() ? 'Build cancelled.' : msg, failedRange: cancelled() ? undefined : rangeOf(undefined, errorLineOf(msg)) });
      }
      const streamError = await readJsonLines(response, interp);
      lines.flush();
      // The engine reads the whole context before the first step, so by now the walk is over
      // unless the build broke off early.
      context = await upload.finish();
      if (cancelled()) {
        // The engine stops the step when the request is dropped, but only after a grace period;
        // remove the step's container now so nothing keeps running after a cancel.
        if (interp.runningContainer) await removeStepContainer(docker, interp.runningContainer);
        return result({ error: 'Build cancelled.', failedStep: interp.step?.line });
      }
      if (interp.failed) {
        const failedIns = interp.failedStep ? instructionForStep(model, interp.failedStep.line) : undefined;
        return result({
          error: interp.error,
          failedStep: interp.failedStep?.line,
          failedRange: rangeOf(failedIns, interp.failedStep ? undefined : errorLineOf(interp.error)),
        });
      }
      if (streamError) return result({ error: `The build stream broke off: ${streamError.message}`, failedStep: interp.step?.line });
      if (!interp.imageId) return result({ error: 'The engine finished the build without reporting an image ID.' });
      if (cancelled()) return result({ error: 'Build cancelled.' });
      const imageId = await tagBuiltImage(docker, interp.imageId, input.tag);
      return result({ ok: true, imageId, tag: input.tag, cancelled: false });
    } catch (err) {
      return result({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      upload.dispose();
    }
  },
};
