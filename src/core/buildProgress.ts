/**
 * BuildKit build progress: the state of a build merged from the engine's trace messages
 * (`moby.buildkit.v1.StatusResponse`, decoded by the engine layer), and its rendering as the
 * docker CLI's `--progress=plain` shows it.
 *
 * Merging (as buildx's `util/progress/progressui` does): vertexes by digest (a later update
 * carries the vertex's whole state and replaces it), statuses by ID within their vertex, logs
 * appended to their vertex by stream. Rendering, one line per event, in arrival order:
 * - `#N NAME` when a vertex starts (N numbers vertexes in the order they were first seen; the
 *   header is repeated when another vertex printed in between, and a blank line comes first);
 * - `#N 0.123 TEXT` per log line (seconds since the vertex started), stdout and stderr alike;
 * - `#N NAME 0.1s done` when a status completes;
 * - `#N CACHED`, `#N DONE 1.2s`, `#N ERROR: MESSAGE` when the vertex completes.
 * Times are milliseconds since the Unix epoch. Pure: no engine access, no clock.
 */
import { StringDecoder } from 'node:string_decoder';
import { parseVertexName, type VertexStep } from './buildSteps';

/** A vertex as one trace message carries it. */
export interface VertexUpdate {
  digest: string;
  inputs?: string[];
  name?: string;
  cached?: boolean;
  /** ms since the epoch */
  started?: number;
  completed?: number;
  error?: string;
}

/** A status (a sub-task of a vertex, e.g. "exporting layers", a download). */
export interface StatusUpdate {
  id: string;
  vertex: string;
  name?: string;
  current?: number;
  total?: number;
  timestamp?: number;
  started?: number;
  completed?: number;
}

/** Output of a vertex's process. */
export interface LogUpdate {
  vertex: string;
  /** 1 stdout, 2 stderr */
  stream: number;
  data: Uint8Array;
  timestamp?: number;
}

/** A frontend warning (newer engines). */
export interface WarningUpdate {
  vertex: string;
  short: string;
}

/** One decoded trace message. */
export interface StatusResponse {
  vertexes: VertexUpdate[];
  statuses: StatusUpdate[];
  logs: LogUpdate[];
  warnings: WarningUpdate[];
}

/** What is known about one vertex. */
export interface VertexState {
  digest: string;
  /** 1-based display number (#N). */
  number: number;
  name: string;
  inputs: string[];
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
  /** The parsed step name, for `[stage i/N] …` vertexes. */
  step?: VertexStep;
}

/** Timing of one step vertex. */
export interface StepTiming {
  name: string;
  cached: boolean;
  /** ms from start to completion; undefined when it did not complete. */
  durationMs?: number;
}

/** The step the build is at, for a progress notification. */
export interface CurrentStep {
  /** Vertex name, e.g. "[stage-1 2/3] RUN make". */
  name: string;
  /** Step vertexes completed so far. */
  done: number;
  /** Step vertexes in the build (all are announced when the solve starts). */
  total: number;
}

interface Internal extends VertexState {
  headerShown: boolean;
  finished: boolean;
  statusesDone: Set<string>;
  decoders: Map<number, { decoder: StringDecoder; partial: string }>;
}

const seconds = (ms: number, digits: number): string => (Math.max(0, ms) / 1000).toFixed(digits);

/** Incrementally merged BuildKit progress; see the module comment for the rendering. */
export class BuildProgress {
  private readonly vertexes = new Map<string, Internal>();
  private lastPrinted: string | undefined;
  private printedAny = false;

  /**
   * Merge one trace message.
   * @returns the plain-progress lines it produces (no trailing newlines), possibly none.
   */
  apply(update: StatusResponse): string[] {
    const out: string[] = [];
    for (const v of update.vertexes) {
      const s = this.vertex(v.digest);
      if (v.name) {
        s.name = v.name;
        s.step = parseVertexName(v.name);
      }
      if (v.inputs) s.inputs = v.inputs;
      s.cached = v.cached ?? s.cached;
      s.started = v.started ?? s.started;
      s.completed = v.completed ?? s.completed;
      s.error = v.error || s.error;
    }
    const statuses = [...update.statuses];
    const logs = [...update.logs];
    /** Print (and drop from the lists) the statuses and logs of this message for `digest`, or all when undefined. */
    const drain = (digest?: string): void => {
      for (let i = 0; i < statuses.length; ) {
        if (digest === undefined || statuses[i]!.vertex === digest) this.status(statuses.splice(i, 1)[0]!, out);
        else i++;
      }
      for (let i = 0; i < logs.length; ) {
        if (digest === undefined || logs[i]!.vertex === digest) this.log(logs.splice(i, 1)[0]!, out);
        else i++;
      }
    };
    // In message order: a vertex that completes gets its output of this message, then its result;
    // one that starts gets its header.
    for (const v of update.vertexes) {
      const s = this.vertexes.get(v.digest)!;
      if (s.completed !== undefined && !s.finished) {
        drain(s.digest);
        this.finish(s, out);
      } else if (s.started !== undefined && !s.headerShown && !s.finished) {
        this.header(s, out);
      }
    }
    drain();
    for (const w of update.warnings) out.push(`WARNING: ${w.short}`);
    return out;
  }

  private status(st: StatusUpdate, out: string[]): void {
    const s = this.vertex(st.vertex);
    if (st.completed === undefined || s.statusesDone.has(st.id)) return;
    s.statusesDone.add(st.id);
    const took = st.started !== undefined ? ` ${seconds(st.completed - st.started, 1)}s` : '';
    const amount = st.total ? ` ${st.current ?? 0} / ${st.total}` : '';
    this.print(s, `${st.name || st.id}${amount}${took} done`, out);
  }

  private log(l: LogUpdate, out: string[]): void {
    const s = this.vertex(l.vertex);
    let d = s.decoders.get(l.stream);
    if (!d) s.decoders.set(l.stream, (d = { decoder: new StringDecoder('utf8'), partial: '' }));
    d.partial += d.decoder.write(Buffer.from(l.data));
    let nl: number;
    while ((nl = d.partial.indexOf('\n')) !== -1) {
      this.logLine(s, d.partial.slice(0, nl).replace(/\r$/, ''), l.timestamp, out);
      d.partial = d.partial.slice(nl + 1);
    }
  }

  /** Flush what is left at the end of the stream (partial log lines). */
  end(): string[] {
    const out: string[] = [];
    for (const s of this.vertexes.values()) this.flushLogs(s, out);
    return out;
  }

  /** Every vertex seen, in display order. */
  get all(): VertexState[] {
    return [...this.vertexes.values()];
  }

  /** Step vertexes (`[stage i/N] …`), in display order. */
  get steps(): VertexState[] {
    return this.all.filter((v) => v.step !== undefined);
  }

  /** The first vertex that failed, if any. */
  get failed(): VertexState | undefined {
    return this.all.find((v) => v.error);
  }

  /** The running step (else the last one started) with n/N; undefined before any step started. */
  current(): CurrentStep | undefined {
    const steps = this.steps;
    const started = steps.filter((s) => s.started !== undefined || s.cached);
    if (started.length === 0) return undefined;
    const running = started.filter((s) => s.completed === undefined);
    const at = running.length > 0 ? running[running.length - 1]! : started[started.length - 1]!;
    return { name: at.name, done: steps.filter((s) => s.completed !== undefined).length, total: steps.length };
  }

  /** Per-step timings, in display order. */
  timings(): StepTiming[] {
    return this.steps.map((s) => ({
      name: s.name,
      cached: s.cached,
      durationMs: s.completed !== undefined && s.started !== undefined ? s.completed - s.started : undefined,
    }));
  }

  private vertex(digest: string): Internal {
    let s = this.vertexes.get(digest);
    if (!s) {
      s = { digest, number: this.vertexes.size + 1, name: digest, inputs: [], cached: false, headerShown: false, finished: false, statusesDone: new Set(), decoders: new Map() };
      this.vertexes.set(digest, s);
    }
    return s;
  }

  private header(s: Internal, out: string[]): void {
    if (this.printedAny) out.push('');
    out.push(`#${s.number} ${s.name}`);
    s.headerShown = true;
    this.lastPrinted = s.digest;
    this.printedAny = true;
  }

  /** A line for `s`, with its header first when another vertex printed since. */
  private print(s: Internal, text: string, out: string[]): void {
    if (this.lastPrinted !== s.digest || !s.headerShown) this.header(s, out);
    out.push(`#${s.number} ${text}`);
  }

  private logLine(s: Internal, text: string, timestamp: number | undefined, out: string[]): void {
    const at = timestamp !== undefined && s.started !== undefined ? `${seconds(timestamp - s.started, 3)} ` : '';
    this.print(s, `${at}${text}`, out);
  }

  private flushLogs(s: Internal, out: string[]): void {
    for (const d of s.decoders.values()) {
      d.partial += d.decoder.end();
      if (d.partial) this.logLine(s, d.partial, undefined, out);
      d.partial = '';
    }
  }

  private finish(s: Internal, out: string[]): void {
    this.flushLogs(s, out);
    s.finished = true;
    if (s.error) this.print(s, `ERROR: ${s.error}`, out);
    else if (s.cached) this.print(s, 'CACHED', out);
    else this.print(s, `DONE ${seconds((s.completed ?? 0) - (s.started ?? s.completed ?? 0), 1)}s`, out);
  }
}
