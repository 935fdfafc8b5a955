/**
 * Dockerfile model: the stages of a build script, each with its `FROM` range, its base as
 * written and as resolved, its stage name, and whether the base is an earlier stage.
 *
 * Instruction boundaries (which lines form one instruction, parser directives, the escape
 * character, heredocs) come from {@link splitInstructions}, which follows the engine's own
 * parser rules, so the model sees the same instructions the engine builds. Each instruction's
 * logical line is then parsed by `dockerfile-ast` (the parser behind the Docker language
 * server) for its arguments, `--platform` and `AS name`. On top of them this module adds:
 * removal of a leading byte-order mark, expansion of meta `ARG`s (declared before the first
 * `FROM`) with build-arg overrides ({@link expandWord}), stage links (case-insensitive, earlier
 * stages only), and image reference normalisation ({@link parseReference}).
 *
 * Positions are zero-based lines and UTF-16 characters of the text after the byte-order mark
 * was removed (the text an editor shows; CR, LF and CRLF all end a line there).
 */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { CURRENT_DIALECT, splitInstructions, type InstructionFlag, type ParserDialect, type RawInstruction } from './dockerfileLines';
import { parseImageId, parseReference, InvalidReferenceError, type ImageReference } from './reference';
import { expandWord, splitWords, type VariableMap } from './shellword';

/** Zero-based position. */
export interface Position {
  line: number;
  character: number;
}
/** Zero-based, end-exclusive range. */
export interface Range {
  start: Position;
  end: Position;
}

/** A parser directive from the top of the file (`# escape=\``, `# syntax=…`). */
export interface DirectiveInfo {
  name: string;
  value: string;
  line: number;
}

/** One instruction, in file order (ONBUILD counts as one instruction). */
export interface InstructionInfo {
  /** Upper-case keyword, e.g. "RUN". */
  keyword: string;
  /** Whole instruction, including continuation lines. */
  range: Range;
  /** Index of the stage it belongs to; -1 for meta ARGs before the first FROM. */
  stageIndex: number;
  /** Arguments text with line continuations removed. */
  text: string;
  /** The logical line the engine parses (keyword, flags and arguments, continuations removed). */
  line: string;
  /** Flags before the arguments (`--mount=…`, `--link`), in order. */
  flags: InstructionFlag[];
  /** Names of the heredocs it opens (only with a dialect that has heredocs). */
  heredocs: string[];
  /** With a dialect without heredocs: the heredocs a newer frontend would read here (see {@link RawInstruction.latentHeredocs}). */
  latentHeredocs: string[];
}

/** An `ARG` declared before the first `FROM` (a meta ARG, the only ones visible in `FROM`). */
export interface MetaArg {
  name: string;
  /** Default as written, e.g. "${A}:1"; undefined when declared without a value. */
  defaultWritten?: string;
  /** Value used in `FROM`: the build-arg override, else the expanded default; undefined when unset. */
  value?: string;
  /** Whether `value` comes from a build-arg override. */
  overridden: boolean;
  line: number;
}

/** What a stage's base resolved to. */
export type StageBase =
  /** An image reference, normalised the way the engine does. */
  | { kind: 'image'; reference: ImageReference }
  /** A full image ID (`FROM sha256:<hex>`). */
  | { kind: 'id'; id: string }
  /** An earlier stage of this file (an in-file link, not a local image). */
  | { kind: 'stage'; stageIndex: number }
  /** `FROM scratch`: no base image. */
  | { kind: 'scratch' }
  /** A variable has no value (and no default applies): never guessed. */
  | { kind: 'unresolved'; missing: string[]; reason: string }
  /** Resolved text that is not a valid reference, or a `FROM` without an image. */
  | { kind: 'invalid'; reason: string };

/** One build stage. */
export interface Stage {
  /** Zero-based stage index. */
  index: number;
  /** Stage name as written after `AS`, or undefined. */
  name?: string;
  /** Lower-cased stage name (stage names are case-insensitive), or undefined. */
  nameLower?: string;
  /** The whole `FROM` instruction, across continuation lines. */
  fromRange: Range;
  /** Line of the `FROM` keyword (where lenses go). */
  fromLine: number;
  /** Base as written (after any `--platform=…` flag), e.g. "${IMG}:${TAG}"; undefined when missing. */
  baseWritten?: string;
  /** Base after meta-ARG expansion, e.g. "busybox:1"; undefined when unresolved or missing. */
  baseResolved?: string;
  /** What the base is. */
  base: StageBase;
  /** Value of `--platform` as written, if any (not resolved: the engine's platform decides). */
  platform?: string;
  /** Whether this stage can be a build target: the last stage, or any named stage. */
  targetable: boolean;
  /** Instructions of this stage including its FROM, in order. */
  instructions: InstructionInfo[];
}

/** A problem found while modelling (not a full linter). */
export interface ModelProblem {
  range: Range;
  message: string;
}

/** The model of one Dockerfile. */
export interface DockerfileModel {
  /** Escape character in effect ("\\" or "`"). */
  escapeChar: string;
  directives: DirectiveInfo[];
  metaArgs: MetaArg[];
  stages: Stage[];
  /** Every instruction in file order; the classic builder's "Step N/M" is instructions[N-1]. */
  instructions: InstructionInfo[];
  problems: ModelProblem[];
}

/** Options of {@link parseDockerfile}. */
export interface ParseOptions {
  /** Build-arg overrides (`--build-arg K=V`); only those naming a meta ARG affect `FROM`. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Parser rules of the frontend that will build it (default: current frontends, with heredocs). */
  dialect?: ParserDialect;
}

/** Remove a leading UTF-8 byte-order mark (U+FEFF), if any. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const STAGE_NAME_RE = /^[a-z][a-z0-9-_.]*$/;

/** Offset → editor position (lines end at CR, LF or CRLF, as in the editor). */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* CR */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10 /* LF */) {
        this.starts.push(i + 1);
      }
    }
  }
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo]! };
  }
}

/**
 * dockerfile-ast's view of one logical line: the line alone (after an escape directive when the
 * escape is a backtick), with the separators the engine treats as spaces (VT, FF, CR) made spaces.
 */
function astInstruction(raw: RawInstruction, escapeChar: string): Instruction | undefined {
  const line = raw.line.replace(/[\v\f\r]/g, ' ');
  const df = DockerfileParser.parse(escapeChar === '`' ? `# escape=\`\n${line}` : line);
  return df.getInstructions()[0];
}

function instructionText(ins: Instruction | undefined): string {
  return ins ? ins.getArguments().map((a) => a.getValue()).join(' ') : '';
}

/**
 * Parse a Dockerfile into its stages.
 * @param text the Dockerfile text (a leading BOM and CRLF line endings are accepted).
 * @param options build-arg overrides and the frontend's parser rules.
 * @returns the model; never throws on bad input (problems are listed in `problems`).
 */
export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileModel {
  const source = stripBom(text);
  const split = splitInstructions(source, options.dialect ?? CURRENT_DIALECT);
  const index = new LineIndex(source);
  const escapeChar = split.escapeChar;
  const directives: DirectiveInfo[] = split.directives.map((d) => ({ name: d.name, value: d.value, line: index.position(d.start).line }));
  const buildArgs = options.buildArgs ?? {};
  const problems: ModelProblem[] = split.problems.map((p) => {
    const at = index.position(p.start);
    return { range: { start: at, end: at }, message: p.message };
  });

  const instructions: InstructionInfo[] = [];
  const metaArgs: MetaArg[] = [];
  const metaVars = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  const stageByName = new Map<string, number>();

  for (const raw of split.instructions) {
    const keyword = raw.keyword;
    const ins = astInstruction(raw, escapeChar);
    const info: InstructionInfo = {
      keyword,
      range: { start: index.position(raw.start), end: index.position(raw.end) },
      stageIndex: stages.length - 1,
      text: instructionText(ins),
      line: raw.line,
      flags: raw.flags,
      heredocs: raw.heredocs,
      latentHeredocs: raw.latentHeredocs,
    };
    if (keyword !== 'FROM' || !ins) {
      instructions.push(info);
      if (stages.length === 0) {
        if (keyword === 'ARG' && ins) collectMetaArgs(ins, escapeChar, buildArgs, metaVars, metaArgs, info.range.start.line);
        else problems.push({ range: info.range, message: `${keyword} before the first FROM: only ARG may precede FROM.` });
      } else {
        stages[stages.length - 1]!.instructions.push(info);
      }
      continue;
    }
    const stageIndex = stages.length;
    info.stageIndex = stageIndex;
    instructions.push(info);
    const stage = modelStage(ins, stageIndex, info, escapeChar, metaVars, stageByName, problems);
    stages.push(stage);
    if (stage.nameLower !== undefined) {
      if (stageByName.has(stage.nameLower)) {
        problems.push({ range: info.range, message: `duplicate stage name "${stage.name}"` });
      } else {
        stageByName.set(stage.nameLower, stageIndex);
      }
    }
  }
  for (const s of stages) s.targetable = s.index === stages.length - 1 || s.nameLower !== undefined;
  if (stages.length === 0 && instructions.length > 0) {
    problems.push({ range: instructions[instructions.length - 1]!.range, message: 'no FROM instruction: a Dockerfile needs at least one stage.' });
  }
  return { escapeChar, directives, metaArgs, stages, instructions, problems };
}

function collectMetaArgs(
  ins: Instruction,
  escapeChar: string,
  buildArgs: Readonly<Record<string, string>>,
  vars: Map<string, string | undefined>,
  out: MetaArg[],
  line: number,
): void {
  for (const word of splitWords(ins.getArgumentsContent() ?? '', escapeChar)) {
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const defaultWritten = eq === -1 ? undefined : word.slice(eq + 1);
    let value: string | undefined;
    const overridden = Object.prototype.hasOwnProperty.call(buildArgs, name);
    if (overridden) {
      value = buildArgs[name];
    } else if (defaultWritten !== undefined) {
      const x = expandWord(defaultWritten, vars, escapeChar);
      value = x.missing.length > 0 || x.errors.length > 0 ? undefined : x.value;
    }
    vars.set(name, value);
    out.push({ name, defaultWritten, value, overridden, line });
  }
}

function modelStage(
  ins: Instruction,
  index: number,
  info: InstructionInfo,
  escapeChar: string,
  metaVars: VariableMap,
  stageByName: ReadonlyMap<string, number>,
  problems: ModelProblem[],
): Stage {
  const from = ins as unknown as import('dockerfile-ast').From;
  const args = from.getArguments().map((a) => a.getValue()).filter((v) => !v.startsWith('--'));
  const platformFlag = from.getPlatformFlag()?.getValue() ?? undefined;
  const name = from.getBuildStage() ?? undefined;
  const nameLower = name?.toLowerCase();
  if (name !== undefined && !STAGE_NAME_RE.test(nameLower!)) {
    problems.push({ range: info.range, message: `invalid stage name "${name}": use letters, digits, "-", "_" and "." starting with a letter.` });
  }
  if (!(args.length === 1 || (args.length === 3 && args[1]!.toLowerCase() === 'as'))) {
    problems.push({ range: info.range, message: 'FROM requires either one or three arguments: FROM [--platform=…] image [AS name].' });
  }
  const baseWritten = args[0];
  const stage: Stage = {
    index,
    name,
    nameLower,
    fromRange: info.range,
    fromLine: info.range.start.line,
    baseWritten,
    base: { kind: 'invalid', reason: 'FROM names no image' },
    platform: platformFlag,
    targetable: false,
    instructions: [info],
  };
  if (baseWritten === undefined) return stage;
  const x = expandWord(baseWritten, metaVars, escapeChar);
  if (x.missing.length > 0 || x.errors.length > 0) {
    const reason = x.errors.length > 0
      ? x.errors.join('; ')
      : `no value for ${x.missing.map((m) => `$${m}`).join(', ')}: ` +
        (x.missing.every((m) => metaVars.has(m))
          ? 'pass a build arg'
          : 'declare it with ARG before the first FROM (an ARG after FROM is not visible in FROM)');
    stage.base = { kind: 'unresolved', missing: x.missing, reason };
    return stage;
  }
  const resolved = x.value;
  stage.baseResolved = resolved;
  const linked = stageByName.get(resolved.toLowerCase());
  if (linked !== undefined) {
    stage.base = { kind: 'stage', stageIndex: linked };
    return stage;
  }
  if (resolved === 'scratch') {
    stage.base = { kind: 'scratch' };
    return stage;
  }
  if (resolved.length === 0) {
    stage.base = { kind: 'invalid', reason: 'base image name is empty after substitution' };
    return stage;
  }
  const id = parseImageId(resolved);
  if (id && resolved.startsWith('sha256:')) {
    stage.base = { kind: 'id', id: id.id };
    return stage;
  }
  try {
    stage.base = { kind: 'image', reference: parseReference(resolved) };
  } catch (err) {
    stage.base = { kind: 'invalid', reason: err instanceof InvalidReferenceError ? err.message : String(err) };
  }
  return stage;
}

/** Which stage a build with `target` ends at: the named stage, or the last one. */
export function targetStage(model: DockerfileModel, target?: string): Stage | undefined {
  if (target === undefined || target === '') return model.stages[model.stages.length - 1];
  const t = target.toLowerCase();
  return model.stages.find((s) => s.nameLower === t);
}

/**
 * The stage a build of `target` starts from, following in-file links to the first stage
 * whose base is outside the file (an image, scratch, unresolved or invalid).
 */
export function rootStage(model: DockerfileModel, stage: Stage): Stage {
  let s = stage;
  const seen = new Set<number>();
  while (s.base.kind === 'stage' && !seen.has(s.index)) {
    seen.add(s.index);
    s = model.stages[s.base.stageIndex]!;
  }
  return s;
}

/** A short human text for a stage's base, e.g. "busybox:latest", "stage build", "unresolved: …". */
export function describeBase(model: DockerfileModel, stage: Stage): string {
  const b = stage.base;
  switch (b.kind) {
    case 'image':
      return b.reference.familiar;
    case 'id':
      return b.id.slice(0, 19);
    case 'stage': {
      const s = model.stages[b.stageIndex]!;
      return `stage ${s.name ?? `#${s.index}`}`;
    }
    case 'scratch':
      return 'scratch (no base image)';
    case 'unresolved':
      return `unresolved (${b.reason})`;
    case 'invalid':
      return `invalid (${b.reason})`;
  }
}
