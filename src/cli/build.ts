/**
 * `container-lineage build [-f DOCKERFILE] [-t TAG] [--target STAGE] [--build-arg K=V]…
 * [--label K=V]… [--builder auto|buildkit|classic|buildah] [--network MODE] [--no-cache] [--json] CONTEXT`:
 * the editor's build (same core and engine code: `buildWithProvenance` over `runBuild`: base
 * labels, the recipe in the shared recipe store), with the plain progress streamed to standard
 * error. Standard output gets the result: the image ID (and tag), or with `--json`
 * `{ ok, imageId, tag, builder, reason, failedStep, failedLine, error, … }`.
 * Exit codes: 0 built, 1 no engine, 2 bad usage, 3 build failed, 130 cancelled (Ctrl-C).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builderLabel } from '../core/builderChoice';
import { validateImageName } from '../core/tagname';
import type { BuildRun } from '../engine/builders';
import { buildWithProvenance } from '../engine/provenanceBuild';
import { RecipeStore } from '../store/recipeStore';
import { connectCli } from './connect';
import { abortOnSignals, UsageError, usageErrorExit } from './throwaway-options';

const USAGE = `usage: container-lineage build [options] CONTEXT
  Builds CONTEXT's Dockerfile (or -f) the way the editor does; the tag is applied only after
  success. Progress goes to standard error, the result to standard output.
  -f, --file DOCKERFILE     Dockerfile to build (default CONTEXT/Dockerfile)
  -t, --tag NAME            tag the image after success, e.g. my-app:latest
  --target STAGE            build up to this stage
  --build-arg K=V           build arg (repeatable)
  --label K=V               label on the image (repeatable)
  --builder NAME            auto (default), buildkit, classic or buildah (Podman)
  --network MODE            network of RUN steps (none, host, default)
  Against Podman (e.g. DOCKER_HOST=unix:///path/podman.sock) the build runs with Buildah.
  --no-cache                do not use the build cache
  --json                    print the result as JSON
  Exit codes: 0 built, 1 no engine, 2 bad usage, 3 build failed, 130 cancelled.
`;

/** JSON shape of `--json` (lines 1-based). */
export interface BuildJson {
  ok: boolean;
  cancelled: boolean;
  imageId: string | null;
  tag: string | null;
  builder: string;
  reason: string;
  failedStep: string | null;
  failedLine: number | null;
  error: string | null;
  engineError: string | null;
  durations: BuildRun['durations'];
  context: BuildRun['context'] | null;
}

/** The `--json` form of an outcome. */
export function buildJson(r: BuildRun): BuildJson {
  return {
    ok: r.ok,
    cancelled: r.cancelled,
    imageId: r.imageId ?? null,
    tag: r.tag ?? null,
    builder: r.builder,
    reason: r.reason,
    failedStep: r.failedStep ?? null,
    failedLine: r.failedRange ? r.failedRange.start.line + 1 : null,
    error: r.error ?? null,
    engineError: r.engineError ?? null,
    durations: r.durations,
    context: r.context ?? null,
  };
}

function pairs(list: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} needs NAME=value ("${kv}" is not)`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let values;
  let contextDir: string;
  let buildArgs: Record<string, string>;
  let labels: Record<string, string>;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        tag: { type: 'string', short: 't' },
        target: { type: 'string' },
        'build-arg': { type: 'string', multiple: true },
        label: { type: 'string', multiple: true },
        builder: { type: 'string', default: 'auto' },
        network: { type: 'string' },
        'no-cache': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'a CONTEXT folder is required' : 'only one CONTEXT');
    contextDir = resolve(parsed.positionals[0]!);
    if (!['auto', 'buildkit', 'classic', 'buildah'].includes(values.builder!)) throw new UsageError(`--builder is auto, buildkit, classic or buildah, not "${values.builder}"`);
    if (values.tag !== undefined) {
      const check = validateImageName(values.tag);
      if (!check.ok) throw new UsageError(check.message);
    }
    buildArgs = pairs(values['build-arg'], '--build-arg');
    labels = pairs(values.label, '--label');
  } catch (e) {
    if (e instanceof Error && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usageErrorExit('build', USAGE, new UsageError(e.message));
    return usageErrorExit('build', USAGE, e);
  }
  const dockerfilePath = values.file ? (isAbsolute(values.file) ? values.file : resolve(values.file)) : join(contextDir, 'Dockerfile');
  let text: string;
  try {
    text = await readFile(dockerfilePath, 'utf8');
  } catch (err) {
    return usageErrorExit('build', USAGE, new UsageError(`cannot read ${dockerfilePath}: ${err instanceof Error ? err.message : String(err)}`));
  }
  const engine = await connectCli('build');
  if (!engine) return 1;
  const controller = new AbortController();
  const unhook = abortOnSignals(controller, (l) => process.stderr.write(`${l}\n`), 'stopping the build');
  try {
    const state = engine.state;
    const store = new RecipeStore(undefined, { warn: (m) => process.stderr.write(`container-lineage build: warning: ${m}\n`) });
    const r = await buildWithProvenance(engine.docker(), {
      contextDir,
      dockerfileText: text,
      dockerfilePath,
      tag: values.tag,
      target: values.target,
      buildArgs,
      labels,
      builder: values.builder,
      names: engine.dialect.names,
      engine: state.kind === 'connected' ? state.info : undefined,
      networkMode: values.network,
      noCache: values['no-cache'],
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'output') process.stderr.write(`${e.line}\n`);
      },
    }, store);
    if (r.recipeError) process.stderr.write(`container-lineage build: warning: ${r.recipeError}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(buildJson(r), null, 2)}\n`);
    if (r.ok) {
      if (!values.json) process.stdout.write(`${r.imageId}${r.tag ? ` ${r.tag}` : ''}\n`);
      process.stderr.write(`Built ${r.tag ?? r.imageId} with ${builderLabel(r.builder)} in ${(r.durations.totalMs / 1000).toFixed(1)} s.\n`);
      return 0;
    }
    if (r.cancelled) {
      process.stderr.write('Build cancelled; no tag applied.\n');
      return 130;
    }
    const where = r.failedRange ? ` (${dockerfilePath}:${r.failedRange.start.line + 1})` : '';
    process.stderr.write(`Build failed${where}: ${r.error}${r.tag ? '. No tag was applied.' : ''}\n`);
    return 3;
  } finally {
    unhook();
    engine.dispose();
  }
}
