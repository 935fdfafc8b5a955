/**
 * `container-lineage stages FILE [--build-arg K=V]… [--json]`: print the stage model of a
 * Dockerfile (same core code as the code lenses): each stage's FROM line range, base as
 * written, base resolved, stage name, whether the base is an in-file link or an image, and an
 * unresolved marker. No engine needed. Exit codes: 0 ok, 1 file unreadable, 2 bad usage.
 */
import { readFile } from 'node:fs/promises';
import { describeBase, parseDockerfile, type DockerfileModel, type Stage } from '../core/dockerfile';

const USAGE = `usage: container-lineage stages FILE [--build-arg K=V]... [--json]
  Prints the stages of a Dockerfile: FROM line range (1-based), base as written and resolved,
  stage name, and whether the base is an earlier stage (in-file link), an image, scratch, or
  unresolved (a build arg without value).
  --build-arg K=V   override a meta ARG (repeatable), like docker build
  --json            machine-readable output
`;

/** JSON shape of one stage in `--json` output (lines 1-based, inclusive). */
export interface StageJson {
  index: number;
  name: string | null;
  fromLines: { start: number; end: number };
  baseWritten: string | null;
  baseResolved: string | null;
  /** image | id | stage | scratch | unresolved | invalid */
  kind: string;
  /** Canonical reference (docker.io/library/…:tag) for images, the ID for ids. */
  reference: string | null;
  /** Index of the linked stage for in-file links. */
  linkedStage: number | null;
  unresolved: boolean;
  /** Why the base is unresolved or invalid. */
  reason: string | null;
  platform: string | null;
  targetable: boolean;
}

/** The JSON form of a stage. */
export function stageJson(s: Stage): StageJson {
  const b = s.base;
  return {
    index: s.index,
    name: s.name ?? null,
    fromLines: { start: s.fromRange.start.line + 1, end: s.fromRange.end.line + 1 },
    baseWritten: s.baseWritten ?? null,
    baseResolved: s.baseResolved ?? null,
    kind: b.kind,
    reference: b.kind === 'image' ? b.reference.canonical : b.kind === 'id' ? b.id : null,
    linkedStage: b.kind === 'stage' ? b.stageIndex : null,
    unresolved: b.kind === 'unresolved',
    reason: b.kind === 'unresolved' || b.kind === 'invalid' ? b.reason : null,
    platform: s.platform ?? null,
    targetable: s.targetable,
  };
}

/** Human-readable table of the stages. */
export function formatStages(model: DockerfileModel): string {
  const lines: string[] = [];
  for (const s of model.stages) {
    const range = s.fromRange.start.line === s.fromRange.end.line ? `${s.fromRange.start.line + 1}` : `${s.fromRange.start.line + 1}-${s.fromRange.end.line + 1}`;
    const kind = s.base.kind === 'stage' ? 'in-file link' : s.base.kind === 'unresolved' ? 'UNRESOLVED' : s.base.kind;
    const written = s.baseWritten ?? '(none)';
    const resolved = s.baseResolved !== undefined && s.baseResolved !== s.baseWritten ? ` → ${s.baseResolved}` : '';
    lines.push(`#${s.index} ${s.name ?? '(unnamed)'}  ${range.includes("-") ? "lines" : "line"} ${range}  FROM ${written}${resolved}  [${kind}] ${describeBase(model, s)}${s.targetable ? '' : '  (not a target)'}`);
  }
  for (const p of model.problems) lines.push(`problem at line ${p.range.start.line + 1}: ${p.message}`);
  return lines.join('\n') + '\n';
}

/** Run the subcommand. */
export async function run(args: string[]): Promise<number> {
  let file: string | undefined;
  let json = false;
  const buildArgs: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '--build-arg' || a.startsWith('--build-arg=')) {
      const kv = a === '--build-arg' ? args[++i] : a.slice('--build-arg='.length);
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq <= 0) {
        process.stderr.write(`--build-arg needs NAME=value\n${USAGE}`);
        return 2;
      }
      buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith('-')) {
      process.stderr.write(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (file === undefined) file = a;
    else {
      process.stderr.write(`only one FILE\n${USAGE}`);
      return 2;
    }
  }
  if (!file) {
    process.stderr.write(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const model = parseDockerfile(text, { buildArgs });
  if (json) {
    process.stdout.write(JSON.stringify({
      file,
      escapeChar: model.escapeChar,
      directives: model.directives,
      metaArgs: model.metaArgs.map((a) => ({ name: a.name, default: a.defaultWritten ?? null, value: a.value ?? null, overridden: a.overridden })),
      stages: model.stages.map(stageJson),
      problems: model.problems.map((p) => ({ line: p.range.start.line + 1, message: p.message })),
    }, null, 2) + '\n');
  } else {
    process.stdout.write(formatStages(model));
  }
  return 0;
}
