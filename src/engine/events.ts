/**
 * The engine's event stream (`GET /events`, filtered to image and container events), reconnected
 * with exponential backoff when it ends or fails (engine restart, dropped socket). No polling:
 * while the stream is open the engine pushes events; nothing is fetched here otherwise.
 *
 * With a `confirm` hook (the connection's, see `EngineConnection.events`) the stream is also the
 * health signal: an open stream that ends or fails asks `confirm` (one `/_ping`) whether the engine
 * is still there. Yes → reopen after the backoff; no → wait, without any request, until
 * {@link EngineEventStream.reopen} (the connection calls it when an engine answers again).
 * An engine that stops answering without closing the connection is noticed by TCP keepalive
 * ({@link EVENT_STREAM_KEEPALIVE_MS}), not by requests. No `vscode` import.
 */
import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';

/** How long a stream must have stayed open for its end to start the reconnect backoff over, ms. */
const STABLE_MS = 10_000;
/**
 * Idle time (ms, whole seconds) after which the kernel starts TCP keepalive probes on the event
 * stream's connection (libuv then probes 10 times 1 s apart): an engine that stops answering
 * without closing the connection (a remote host gone, a network dropped) fails the stream (the
 * socket's ETIMEDOUT) about 12 s later, with no request sent. Set here rather than left to the HTTP agent:
 * node's default agent enables keepalive, but the agent made for DOCKER_TLS=1 (or any other)
 * need not.
 */
export const EVENT_STREAM_KEEPALIVE_MS = 2000;

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
  /**
   * Asked when an open stream ends or fails, or the stream cannot be opened: resolves true when
   * the engine still answers (the stream reopens after the backoff), false when it does not (the
   * stream waits for {@link EngineEventStream.reopen}). Without it the stream retries by itself.
   * Must not throw (a rejection counts as false).
   */
  confirm?: (why: string) => Promise<boolean>;
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
  private holders = 0;
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

  /**
   * Reference-counted {@link start}: the first holder opens the stream, the last release closes
   * it. Returns a disposable that releases this hold (idempotent).
   */
  acquire(): { dispose(): void } {
    let released = false;
    if (++this.holders === 1) this.start();
    return {
      dispose: () => {
        if (released) return;
        released = true;
        if (--this.holders === 0) this.stop();
      },
    };
  }

  /** Number of current holders (see {@link acquire}). */
  get holds(): number {
    return this.holders;
  }

  /**
   * Open now when started but not open and not about to open (after `confirm` said the engine is
   * gone, or while a backoff runs): the connection calls it when an engine answers again. The
   * backoff starts over. No-op when stopped or already open.
   */
  reopen(): void {
    if (!this.running || this.stream) return;
    this.backoffMs = this.options.initialBackoffMs ?? 500;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.open_();
  }

  /**
   * Close the current stream (if any) without asking `confirm` and wait for {@link reopen}:
   * the connection calls it when it leaves the connected state. Stays started.
   */
  suspend(): void {
    if (!this.running) return;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.stream;
    this.stream = undefined;
    s?.removeAllListeners?.('data');
    s?.destroy?.();
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
    let docker: Docker;
    try {
      docker = this.options.docker();
    } catch (err) {
      // No client (disconnected): with a confirm hook the connection reopens us when one answers.
      if (gen === this.generation && this.running && !this.options.confirm) this.retry(`event stream failed to open: ${(err as Error).message}`);
      return;
    }
    try {
      stream = (await docker.getEvents({ filters: { type: ['image', 'container'] } })) as typeof stream;
    } catch (err) {
      if (gen === this.generation && this.running) void this.lost(gen, `event stream failed to open: ${(err as Error).message}`);
      return;
    }
    if (gen !== this.generation || !this.running) {
      stream.destroy?.();
      return;
    }
    // The response's TCP (or TLS) socket; a unix socket or an ssh channel has no keepalive to set.
    const socket = (stream as { socket?: { setKeepAlive?: (enable: boolean, initialDelayMs: number) => unknown } }).socket;
    socket?.setKeepAlive?.(true, EVENT_STREAM_KEEPALIVE_MS);
    this.stream = stream;
    this.connects++;
    const openedAt = Date.now();
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
      if (gen !== this.generation || this.stream !== stream) return;
      this.stream = undefined;
      // A stream that stayed open a while starts the backoff over; one that keeps ending at once
      // (a proxy that cuts long requests) backs off further each time.
      if (Date.now() - openedAt >= STABLE_MS) this.backoffMs = this.options.initialBackoffMs ?? 500;
      if (this.running) void this.lost(gen, why);
    };
    stream.on('end', () => ended('event stream ended'));
    stream.on('close', () => ended('event stream closed'));
    stream.on('error', (err: Error) => ended(`event stream error: ${err.message}`));
    this.emitter.emit('connected');
  }

  /** The stream ended or failed to open: confirm (when hooked) whether to retry or wait. */
  private async lost(gen: number, why: string): Promise<void> {
    const confirm = this.options.confirm;
    if (!confirm) return this.retry(why);
    this.options.log?.('info', `${why}; checking the engine`);
    const alive = await confirm(why).catch(() => false);
    if (gen !== this.generation || !this.running || this.stream) return;
    if (alive) this.retry(why);
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
