/**
 * The classic builder's build stream, interpreted: "Step N/M : …" lines, the intermediate
 * container of the running step, the images steps produce, the image ID, and the first error.
 * Pure: no engine access, unit-testable on recorded bytes.
 */
import { JsonLineSplitter, messageError, type BuildMessage } from './request';

/** A classic-builder step as printed: "Step 3/5 : RUN make". */
export interface BuildStep {
  /** 1-based step number. */
  number: number;
  total: number;
  /** The step line as printed, e.g. "Step 3/5 : RUN make". */
  line: string;
}

/** Incremental interpreter of the classic builder's stream (newline-delimited JSON). */
export class BuildStreamInterpreter {
  private readonly splitter: JsonLineSplitter;
  private textPending = '';
  /** Last step line seen. */
  step: BuildStep | undefined;
  /** The built image ID ("sha256:…") from `aux.ID`, or the short ID of "Successfully built". */
  imageId: string | undefined;
  /** First error message seen (build failed). */
  error: string | undefined;
  /** Step that was running when the error came. */
  failedStep: BuildStep | undefined;
  /** ID of the intermediate container of the running step ("---> Running in <id>"), until removed. */
  runningContainer: string | undefined;
  /**
   * Image IDs (short, as printed) that steps after a `FROM` produced ("---> <id>"), in order,
   * including steps taken from the cache. On a failed build the engine keeps them as build cache
   * (like `docker build`), so a fixed Dockerfile rebuilds fast; callers that must leave nothing
   * (tests) can remove them.
   */
  readonly stepImages: string[] = [];
  /** Lines that were not JSON (kept for the log). */
  readonly garbage: string[] = [];

  constructor(
    private readonly onText: (text: string) => void = () => undefined,
    private readonly onMessage: (m: BuildMessage) => void = () => undefined,
  ) {
    this.splitter = new JsonLineSplitter(
      (m) => this.message(m),
      (line) => {
        this.garbage.push(line);
        this.onText(line + '\n');
      },
    );
  }

  /** Feed raw bytes from the response. */
  push(chunk: Buffer | string): void {
    this.splitter.push(chunk);
  }

  /** Flush at end of stream. */
  end(): void {
    this.splitter.end();
    if (this.textPending) this.textLine(this.textPending);
    this.textPending = '';
  }

  /** Whether the stream, as seen so far, is a failure. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Interpret one parsed message. */
  message(m: BuildMessage): void {
    this.onMessage(m);
    if (typeof m.stream === 'string') {
      this.onText(m.stream);
      this.textPending += m.stream;
      let nl: number;
      while ((nl = this.textPending.indexOf('\n')) !== -1) {
        this.textLine(this.textPending.slice(0, nl));
        this.textPending = this.textPending.slice(nl + 1);
      }
    }
    if (typeof m.status === 'string') this.onText(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`);
    const aux = m.aux as { ID?: unknown } | undefined;
    if (aux && typeof aux.ID === 'string') this.imageId = aux.ID;
    const msg = messageError(m);
    if (msg !== undefined) {
      this.onText(`ERROR: ${msg}\n`);
      if (this.error === undefined) {
        this.error = msg;
        this.failedStep = this.step;
      }
    }
  }

  private textLine(raw: string): void {
    // colour codes (the engine wraps warnings in them) would hide a "Step N/M" at the line start
    const line = raw.replace(/\r$/, '').replace(/\x1b\[[0-9;]*m/g, '');
    const s = /^Step (\d+)\/(\d+) : /.exec(line);
    if (s) this.step = { number: Number(s[1]), total: Number(s[2]), line: line.trim() };
    const stepImage = /^ ---> ([0-9a-f]{12,64})\s*$/.exec(line);
    if (stepImage && this.step && !/^Step \d+\/\d+ : FROM\b/i.test(this.step.line)) this.stepImages.push(stepImage[1]!);
    const run = /^ ---> Running in ([0-9a-f]{12,64})\s*$/.exec(line);
    if (run) this.runningContainer = run[1];
    const rm = /^Removing intermediate container ([0-9a-f]{12,64})\s*$/.exec(line);
    if (rm && this.runningContainer !== undefined && rm[1]!.startsWith(this.runningContainer.slice(0, 12))) this.runningContainer = undefined;
    const ok = /^Successfully built ([0-9a-f]{12,64})\s*$/.exec(line);
    if (ok && this.imageId === undefined) this.imageId = ok[1];
  }
}
