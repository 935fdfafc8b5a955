/**
 * Map a builder's step names back to the Dockerfile instructions they run, from the Dockerfile
 * model (the build stream itself names no Dockerfile lines).
 *
 * - Classic builder: "Step N/M : RUN …" numbers meta ARGs, then each stage's FROM and
 *   instructions in file order, so step N is `instructions[N-1]`.
 * - BuildKit's Dockerfile frontend names vertexes `[<stage> i/N] INSTRUCTION …` (moby/buildkit
 *   `frontend/dockerfile/dockerfile2llb/convert.go`: `prefixCommand`, and the per-stage
 *   `cmdTotal`): `<stage>` is the stage's `AS` name in lower case, or `stage-<k>` (k = the
 *   stage's index in the file), and is left out when the build has one dispatch state: one stage
 *   and no other source (a cache mount without `from=` counts as a `scratch` source, as does
 *   `--from=` naming an image; measured on Docker Engine 20.10); a platform may come first. Per stage, numbered are its `FROM` when the base is an image (not `scratch`, not an
 *   earlier stage), then every `RUN`, `COPY`, `ADD` and `WORKDIR`; `i` is zero-padded to N's width.
 */
import type { DockerfileModel, InstructionInfo, Stage } from './dockerfile';

/** A BuildKit step vertex name, parsed. */
export interface VertexStep {
  /** Platform prefix, when the build names one ("linux/amd64"). */
  platform?: string;
  /** Stage label as printed ("build", "stage-1"); undefined for a one-stage file. */
  stage?: string;
  /** 1-based index within the stage. */
  index: number;
  /** Numbered steps of the stage. */
  total: number;
  /** The instruction as printed, e.g. "RUN make" or "FROM docker.io/library/busybox:latest". */
  instruction: string;
  /** Its upper-case keyword. */
  keyword: string;
}

const VERTEX_RE = /^\[([^\]]*?)\s*(\d+)\/(\d+)\]\s+(\S+)(.*)$/s;

/** Parse `[stage-1 2/4] RUN make` (undefined for `[internal] …`, `exporting to image`, …). */
export function parseVertexName(name: string): VertexStep | undefined {
  const m = VERTEX_RE.exec(name);
  if (!m) return undefined;
  const prefix = m[1]!.trim().split(/\s+/).filter(Boolean);
  const stage = prefix.length > 0 && !prefix[prefix.length - 1]!.includes('/') ? prefix.pop() : undefined;
  return {
    platform: prefix.length > 0 ? prefix.join(' ') : undefined,
    stage,
    index: Number(m[2]),
    total: Number(m[3]),
    instruction: `${m[4]}${m[5]}`,
    keyword: m[4]!.toUpperCase(),
  };
}

const NUMBERED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/** The instructions of a stage that BuildKit numbers, in order (see the module comment). */
export function numberedInstructions(stage: Stage): InstructionInfo[] {
  const out: InstructionInfo[] = [];
  const [from, ...rest] = stage.instructions;
  if (from && stage.base.kind !== 'scratch' && stage.base.kind !== 'stage') out.push(from);
  for (const ins of rest) if (NUMBERED.has(ins.keyword)) out.push(ins);
  return out;
}

/**
 * The stages a BuildKit build of `target` runs: the target and, transitively, the stages it uses
 * (its base, `COPY --from=`, `RUN --mount=from=`); BuildKit skips the others (the classic builder
 * runs every stage up to the target).
 * @returns stage indexes in file order.
 */
export function reachableStages(model: DockerfileModel, target?: Stage): number[] {
  const start = target ?? model.stages[model.stages.length - 1];
  if (!start) return [];
  const byRef = (ref: string): Stage | undefined => (/^\d+$/.test(ref) ? model.stages[Number(ref)] : model.stages.find((s) => s.nameLower === ref.toLowerCase()));
  const seen = new Set<number>();
  const visit = (st: Stage): void => {
    if (seen.has(st.index)) return;
    seen.add(st.index);
    if (st.base.kind === 'stage') visit(model.stages[st.base.stageIndex]!);
    for (const ins of st.instructions) {
      for (const f of ins.flags) {
        const ref = f.name === 'from' ? f.value : f.name === 'mount' ? /(?:^|,)from=([^,]+)/.exec(f.value ?? '')?.[1] : undefined;
        const dep = ref ? byRef(ref) : undefined;
        if (dep) visit(dep);
      }
    }
  };
  visit(start);
  return [...seen].sort((a, b) => a - b);
}

/** Whether an instruction brings in a source that is not a stage of the file (see the module comment). */
function hasOtherSource(model: DockerfileModel, ins: InstructionInfo): boolean {
  const isStage = (from: string) => /^\d+$/.test(from) || model.stages.some((s) => s.nameLower === from.toLowerCase());
  for (const f of ins.flags) {
    const name = f.name.toLowerCase();
    if (name === 'from' && (ins.keyword === 'COPY' || ins.keyword === 'ADD') && f.value && !isStage(f.value)) return true;
    if (name === 'mount' && ins.keyword === 'RUN' && f.value) {
      const opts = new Map(f.value.split(',').map((kv) => [kv.split('=')[0]!.toLowerCase(), kv.slice(kv.indexOf('=') + 1)] as const));
      const from = opts.get('from');
      if (from !== undefined ? !isStage(from) : opts.get('type') === 'cache') return true;
    }
  }
  return false;
}

/** The stage label BuildKit prints for a stage ("build", "stage-2"), or undefined when it prints none. */
export function stageLabel(model: DockerfileModel, stage: Stage): string | undefined {
  if (model.stages.length === 1 && !model.instructions.some((i) => hasOtherSource(model, i))) return undefined;
  return stage.nameLower ?? `stage-${stage.index}`;
}

/**
 * The instruction a BuildKit step vertex runs.
 * @returns the instruction, or undefined when the name is not a step or does not match the model
 *   (the keyword must agree).
 */
export function instructionForVertex(model: DockerfileModel, vertexName: string): InstructionInfo | undefined {
  const v = parseVertexName(vertexName);
  if (!v) return undefined;
  let stage: Stage | undefined;
  if (v.stage === undefined) stage = model.stages.length === 1 ? model.stages[0] : undefined;
  else {
    const label = v.stage.toLowerCase();
    stage = model.stages.find((s) => s.nameLower === label) ?? model.stages.find((s) => `stage-${s.index}` === label);
  }
  const ins = stage ? numberedInstructions(stage)[v.index - 1] : undefined;
  return ins && ins.keyword === v.keyword ? ins : undefined;
}

/**
 * Map a classic-builder progress line ("Step 3/5 : RUN exit 1") to its instruction.
 * @returns the instruction, or undefined when the line is not a step or does not match.
 */
export function instructionForStep(model: DockerfileModel, stepLine: string): InstructionInfo | undefined {
  const m = /^Step (\d+)\/(\d+) : (\S+)/.exec(stepLine.trim());
  if (!m) return undefined;
  const ins = model.instructions[Number(m[1]) - 1];
  return ins && ins.keyword === m[3]!.toUpperCase() ? ins : undefined;
}
