/**
 * Keeps a current snapshot of images and containers for the lineage views and the commands,
 * refreshed by engine events only (no polling), and only while someone is watching.
 *
 *  - `acquire()` (a view became visible): the connection's event stream is held open, and the
 *    snapshot refreshed — all of it the first time, afterwards only what the events that arrived
 *    while hidden made stale (nothing when none did). A load waits for the stream to be open, at
 *    most {@link STREAM_WAIT_MS}: a list made before the stream is open could miss an event, and a
 *    refresh when the stream opens after a fast first load would cost a second list of both kinds.
 *  - an image event → debounced image refresh (1 list + inspects of new IDs only);
 *    a container event → debounced container refresh (1 list). Both kinds in one burst → both.
 *    Events are read in the engine's dialect (core/dialect `classifyEvent`: Podman's `remove`,
 *    `init`, `cleanup`…); an unknown one refreshes what its type concerns. Nothing is ever dropped
 *    on an event alone: a removal shows only when the next list lacks it (Podman sends `delete`
 *    for an image that only lost one of its tags).
 *  - last release (views hidden): the hold on the stream is released, nothing is fetched. While
 *    someone else keeps the stream open (the extension does: it is the engine's health signal),
 *    events are only noted; when the stream closed meanwhile, the next activation refreshes all.
 *  - engine disconnected: snapshot cleared (`error` set); on reconnect, full refresh (the inspect
 *    cache is cleared: it may be a different engine). The connection reopens the stream.
 *  - with `imageCache`, inspect and history results persist per engine (src/store/imageCacheStore),
 *    so a reopened window on known images costs the event stream, 1 image list, 1 container list.
 * No `vscode` import.
 */
import type Docker from 'dockerode';
import { EventEmitter } from 'node:events';
import { classifyEvent, dialectOf, type EngineDialect, type RefreshKind } from '../core/dialect';
import type { ContainerRecord, ImageRecord } from '../core/lineage';
import type { ImageCachePersistence } from '../core/imageCache';
import type { EngineConnection } from './connection';
import type { EngineEvent, EngineEventStream } from './events';
import { ImageCatalog, listContainers } from './images';

/** What the views render. */
export interface LineageSnapshot {
  images: ImageRecord[];
  containers: ContainerRecord[];
  /**
   * When `containers` was listed (ms since the epoch): their `Status` texts ("Up 5 minutes") are
   * true at that moment. An images-only refresh keeps the containers and this time.
   */
  containersListedAt: number;
  /** The dialect of the engine the snapshot came from (names, states). */
  dialect: EngineDialect;
  /** Increases with every change, so consumers can tell snapshots apart. */
  version: number;
}

export interface LineageSourceOptions {
  /** Coalescing window for bursts of events (a build tags, a run creates+starts), ms. Default 200. */
  debounceMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /**
   * The persistent inspect/history cache of an engine, by engine key (`<kind> <endpoint>`), e.g.
   * `(key) => ImageCacheStore.forEngine(dir, key)`. Default: none (memory only).
   */
  imageCache?: (engineKey: string) => ImageCachePersistence;
}

/** The key a persistent image cache is chosen by: engine kind and endpoint ("docker unix:///var/run/docker.sock"). */
export function imageCacheKey(state: { endpoint: string; info: { kind: string } }): string {
  return `${state.info.kind} ${state.endpoint}`;
}

/** Longest wait for the event stream to open before the first load goes ahead anyway, ms. */
export const STREAM_WAIT_MS = 1000;

type Kind = RefreshKind;

export class LineageSource {
  readonly catalog: ImageCatalog;
  private readonly emitter = new EventEmitter();
  private current: LineageSnapshot | undefined;
  private activeCount = 0;
  private pending = new Set<Kind>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private version = 0;
  private lastError: unknown;
  private readonly subscriptions: Array<{ dispose(): void }> = [];
  private engineKey: string | undefined;
  private streamHold: { dispose(): void } | undefined;
  /** What events noted while inactive made stale ('all': the stream was not followed throughout). */
  private stale: Set<Kind> | 'all' = 'all';

  constructor(
    private readonly engine: EngineConnection,
    private readonly options: LineageSourceOptions = {},
  ) {
    this.catalog = new ImageCatalog({ warn: (message) => options.log?.('warn', message) });
    this.subscriptions.push(
      this.events.onEvent((e) => this.onEngineEvent(e)),
      this.events.onConnected(() => {
        // Hidden: events may have been missed while the stream was closed, so everything is stale.
        if (!this.isActive) {
          this.stale = 'all';
          return;
        }
        // A snapshot (or a load) made before this open may lack events: list both kinds again.
        const missed = this.current !== undefined || this.running !== undefined;
        if (this.timer) {
          // A load was waiting (for this stream, or a debounce): it goes now.
          if (missed) for (const k of ['images', 'containers'] as const) this.pending.add(k);
          clearTimeout(this.timer);
          this.timer = undefined;
          void this.flush();
        } else if (missed) this.schedule(['images', 'containers']);
      }),
      engine.onDidChangeState((state) => {
        if (state.kind === 'connected') {
          this.bindEngine();
          if (this.isActive) this.startWatching(['images', 'containers']);
        } else {
          this.current = undefined;
          this.stale = 'all';
          this.emitter.emit('change');
        }
      }),
    );
  }

  /** The connection's event stream this source follows (see {@link EngineConnection.events}). */
  get events(): EngineEventStream {
    return this.engine.events;
  }

  /** The latest snapshot, undefined before the first load or while disconnected. */
  get snapshot(): LineageSnapshot | undefined {
    return this.current;
  }

  /** The error of the last failed refresh (cleared by a successful one). */
  get error(): unknown {
    return this.lastError;
  }

  get isActive(): boolean {
    return this.activeCount > 0;
  }

  /** Called after every snapshot change (and on disconnect). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.emitter.on('change', listener);
    return { dispose: () => this.emitter.off('change', listener) };
  }

  /**
   * Reference-counted activity: each visible view holds one. Returns a disposable that releases it.
   * First holder → event stream held, refresh of what is stale (everything the first time);
   * last release → stream released (it closes unless someone else holds it), no fetching.
   */
  acquire(): { dispose(): void } {
    let released = false;
    this.activeCount++;
    if (this.activeCount === 1) this.activate();
    return {
      dispose: () => {
        if (released) return;
        released = true;
        this.activeCount--;
        if (this.activeCount === 0) this.deactivate();
      },
    };
  }

  /**
   * Refresh now (command "Refresh", or after an operation), bypassing the debounce.
   * Resolves when the snapshot is updated. Does nothing when the engine is not connected.
   */
  async refresh(kinds: Kind[] = ['images', 'containers']): Promise<void> {
    for (const k of kinds) this.pending.add(k);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /**
   * Make sure a snapshot exists (loading once if needed), for commands run while the views are
   * hidden. Returns undefined when the engine is not connected.
   */
  async ensureSnapshot(): Promise<LineageSnapshot | undefined> {
    const stale = this.staleKinds();
    if (stale.length > 0) {
      if (!this.isActive) this.stale = this.events.open ? new Set() : 'all';
      await this.refresh(stale);
    }
    return this.current;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.streamHold?.dispose();
    this.streamHold = undefined;
    for (const s of this.subscriptions) s.dispose();
    this.emitter.removeAllListeners();
  }

  // ---------------------------------------------------------------------------------------------

  private activate(): void {
    this.streamHold ??= this.events.acquire();
    const stale: Kind[] = !this.current || this.stale === 'all' ? ['images', 'containers'] : [...this.stale];
    this.stale = new Set();
    if (this.engine.state.kind !== 'connected') return;
    this.startWatching(stale);
  }

  /**
   * Load `kinds` once the event stream is open (or after {@link STREAM_WAIT_MS}); the stream
   * itself is held by {@link activate} and opened by the connection.
   */
  private startWatching(kinds: Kind[]): void {
    if (kinds.length > 0) this.schedule(kinds, this.events.open ? 0 : STREAM_WAIT_MS);
  }

  /**
   * Point the catalog at the connected engine: cleared (and given that engine's persistent
   * cache) when the engine is not the one it was filled from.
   */
  private bindEngine(): void {
    const state = this.engine.state;
    if (state.kind !== 'connected') return;
    const key = `${state.endpoint} ${state.info.version}`;
    if (key === this.engineKey) return;
    this.engineKey = key;
    this.catalog.usePersistence(this.options.imageCache?.(imageCacheKey(state)));
  }

  private deactivate(): void {
    this.streamHold?.dispose();
    this.streamHold = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // What was about to be fetched stays stale; a closed stream follows nothing.
    this.stale = this.events.open ? new Set(this.pending) : 'all';
    this.pending.clear();
  }

  /**
   * What a refresh must fetch to be current: everything without a snapshot; nothing while active
   * (events keep it current); else what the events noted while inactive made stale (everything
   * when the stream is not open now: nothing is being followed).
   */
  private staleKinds(): Kind[] {
    if (!this.current) return ['images', 'containers'];
    if (this.isActive) return [];
    if (this.stale === 'all' || !this.events.open) return ['images', 'containers'];
    return [...this.stale];
  }

  /** The dialect of the connected engine (Docker's while none is). */
  private dialect(): EngineDialect {
    const state = this.engine.state;
    return dialectOf(state.kind === 'connected' ? state.info.kind : undefined);
  }

  private onEngineEvent(e: EngineEvent): void {
    // exec_*, attach, resize, Podman's mount/sync… are most of a busy engine's traffic: no refresh.
    const effect = classifyEvent(e, this.dialect());
    if (effect.unknown) this.options.log?.('info', `engine event ${effect.type} ${effect.action || '(no action)'}: not in the ${this.dialect().product} dialect; refreshing ${effect.refresh.join(' and ')}`);
    if (effect.refresh.length === 0) return;
    // Hidden: only note it; the next activation (or ensureSnapshot) fetches what it made stale.
    if (!this.isActive) {
      if (this.stale !== 'all') for (const k of effect.refresh) this.stale.add(k);
      return;
    }
    this.schedule(effect.refresh);
  }

  private schedule(kinds: Kind[], delayMs = this.options.debounceMs ?? 200): void {
    for (const k of kinds) this.pending.add(k);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref?.();
  }

  private async flush(): Promise<void> {
    // One refresh at a time; what arrives meanwhile runs right after.
    while (this.running) await this.running;
    if (this.pending.size === 0) return;
    const kinds = new Set(this.pending);
    this.pending.clear();
    this.running = this.load(kinds).finally(() => (this.running = undefined));
    await this.running;
    if (this.pending.size > 0 && !this.timer) await this.flush();
  }

  private async load(kinds: Set<Kind>): Promise<void> {
    let docker: Docker;
    try {
      docker = this.engine.docker();
    } catch (err) {
      this.lastError = err;
      return;
    }
    this.bindEngine();
    // Without a snapshot, both halves are needed whatever was asked.
    const both = !this.current;
    const dialect = this.dialect();
    try {
      const listContainersNow = both || kinds.has('containers');
      const [images, [containers, containersListedAt]] = await Promise.all([
        both || kinds.has('images') ? this.catalog.listImages(docker, dialect) : Promise.resolve(this.current!.images),
        listContainersNow
          ? listContainers(docker).then((list) => [list, Date.now()] as const)
          : Promise.resolve([this.current!.containers, this.current!.containersListedAt] as const),
      ]);
      this.lastError = undefined;
      this.current = { images, containers, containersListedAt, dialect, version: ++this.version };
      this.emitter.emit('change');
    } catch (err) {
      this.lastError = err;
      this.options.log?.('warn', `lineage refresh failed: ${(err as Error).message}`);
      this.engine.reportError(err);
    }
  }
}
