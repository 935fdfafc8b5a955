/**
 * The engine's event stream (`GET /events`, filtered to image and container events), reconnected
 * with exponential backoff when it ends or fails (engine restart, dropped socket). No polling:
 * while the stream is open the engine pushes events; nothing is fetched here otherwise.
 * No `vscode` import.
 */
import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';

/** One engine event, as the Engine API sends it (subset). */
export interface EngineEvent {
  /** `image` or `container` (this stream asks for nothing else). */
  Type: string;
  /** e.g. `tag`, `untag`, `delete`, `import`, `load`, `pull`, `create`, `start`, `die`, `destroy`. */
  Action: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Unix seconds. */
  time?: number;
}

export interface EventStreamOptions {
  /** Returns the current client (throws when disconnected: the stream waits and retries). */
  docker: () => Docker;
  /** First reconnect delay, ms (doubles up to {@link maxBackoffMs}). Default 500. */
  initialBackoffMs?: number;
  /** Longest reconnect delay, ms. Default 30 000. */
  maxBackoffMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/**
 * Emits `event` (EngineEvent) for each image/container event, and `connected` each time the
 * stream (re)opens — listeners should do a full refresh then, because events that happened while
 * the stream was down are lost.
 */
export class EngineEventStream {
  private readonly emitter = new EventEmitter();
  private stream: (NodeJS.ReadableStream & { destroy?: (err?: Error) => void }) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private backoffMs: number;
  private generation = 0;
  /** Number of times the stream was opened (for tests and diagnostics). */
  connects = 0;

  constructor(private readonly options: EventStreamOptions) {
    this.backoffMs = options.initialBackoffMs ?? 500;
  }

  onEvent(listener: (e: EngineEvent) => void): { dispose(): void } {
    this.emitter.on('event', listener);
    return { dispose: () => this.emitter.off('event', listener) };
  }

  onConnected(listener: () => void): { dispose(): void } {
    this.emitter.on('connected', listener);
    return { dispose: () => this.emitter.off('connected', listener) };
  }

  /** True while started (the stream may be between reconnects). */
  get active(): boolean {
    return this.running;
  }

  /** True when a stream is open right now. */
  get open(): boolean {
    return this.stream !== undefined;
  }

  /** Open the stream (no-op when already started). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.backoffMs = this.options.initialBackoffMs ?? 500;
    void this.open_();
  }

  /** Close the stream and stop reconnecting. */
  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.stream;
    this.stream = undefined;
    s?.removeAllListeners?.('data');
    s?.destroy?.();
  }

  /** Drop the current connection as if the engine went away (tests: simulated engine restart). */
  dropConnectionForTest(): void {
    this.stream?.destroy?.(new Error('connection dropped (simulated)'));
  }

  dispose(): void {
    this.stop();
    this.emitter.removeAllListeners();
  }

  private async open_(): Promise<void> {
    const gen = ++this.generation;
    let stream: NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
    try {
      const docker = this.options.docker();
      stream = (await docker.getEvents({ filters: { type: ['image', 'container'] } })) as typeof stream;
    } catch (err) {
      if (gen === this.generation && this.running) this.retry(`event stream failed to open: ${(err as Error).message}`);
      return;
    }
    if (gen !== this.generation || !this.running) {
      stream.destroy?.();
      return;
    }
    this.stream = stream;
    this.connects++;
    this.backoffMs = this.options.initialBackoffMs ?? 500;
    let buffer = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        try {
          const event = JSON.parse(line) as EngineEvent;
          this.emitter.emit('event', event);
        } catch {
          this.options.log?.('warn', `unparsable engine event: ${line.slice(0, 200)}`);
        }
      }
    });
    const ended = (why: string) => {
      if (gen !== this.generation) return;
      this.stream = undefined;
      if (this.running) this.retry(why);
    };
    stream.on('end', () => ended('event stream ended'));
    stream.on('close', () => ended('event stream closed'));
    stream.on('error', (err: Error) => ended(`event stream error: ${err.message}`));
    this.emitter.emit('connected');
  }

  private retry(why: string): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    this.options.log?.('warn', `${why}; reconnecting in ${delay} ms`);
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.open_();
    }, delay);
    this.timer.unref?.();
  }
}
