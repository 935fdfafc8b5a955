/**
 * Keeps the relative times in the Images and Containers views true while they are visible:
 * containers' "Up 5 minutes" / "Exited (0) 2 hours ago" (to the second) and images' ages (to the
 * minute: re-rendering an image refreshes everything under it). They are re-rendered
 * from what is cached (the last snapshot and {@link StatusClock}), never by asking the engine;
 * one timer, set for the moment the first displayed text would change, and none while both
 * views are hidden. Item IDs do not change (they never contain text).
 */
import * as vscode from 'vscode';
import { msUntilMinuteAgeChanges } from '../core/format';
import type { ContainerRecord } from '../core/lineage';
import { StatusClock } from '../core/statusClock';
import type { LineageSource } from '../engine/lineageSource';

/** Shortest and longest wait between re-renders (ms). */
const MIN_WAIT_MS = 1000;
const MAX_WAIT_MS = 30 * 60_000;

/** Something whose items show relative times and can re-render them. */
export interface TimeRenderer {
  /** Fire the tree's change event (items re-rendered from the cached model). */
  refreshTimes(): void;
}

export class RelativeTimes implements vscode.Disposable {
  private readonly clock = new StatusClock();
  private timer: NodeJS.Timeout | undefined;
  private readonly renderers: Array<{ renderer: TimeRenderer; visible: () => boolean }> = [];
  private readonly subscriptions: Array<{ dispose(): void }> = [];

  constructor(private readonly source: LineageSource) {
    // Observe each snapshot when it arrives: that is when the engine wrote the status texts.
    this.subscriptions.push(source.onDidChange(() => this.observe()));
    this.observe();
  }

  /** Add a view whose items use {@link containerStatus} or image ages. */
  add(renderer: TimeRenderer, view: vscode.TreeView<unknown>): void {
    this.renderers.push({ renderer, visible: () => view.visible });
    this.subscriptions.push(
      view.onDidChangeVisibility((e) => {
        // Shown again: bring the texts up to now at once, then follow.
        if (e.visible) renderer.refreshTimes();
        this.schedule();
      }),
    );
    this.schedule();
  }

  /** A container's status as the engine would write it now. */
  containerStatus(c: ContainerRecord, now = Date.now()): string {
    return this.clock.render(c.id, c.status, now);
  }

  private observe(): void {
    const snap = this.source.snapshot;
    if (!snap) return;
    // The texts are true when the containers were listed, not now: an images-only refresh
    // (a build, a tag) keeps an older list, and anchoring its texts at now set the times back.
    for (const c of snap.containers) this.clock.observe(c.id, c.status, snap.containersListedAt);
    this.clock.retain(snap.containers.map((c) => c.id));
    this.schedule();
  }

  /** When the next displayed text changes (ms from now), or undefined when nothing is timed. */
  private nextChange(now: number): number | undefined {
    let best = this.clock.msUntilNextChange(now);
    for (const i of this.source.snapshot?.images ?? []) {
      if (!Number.isFinite(i.created)) continue;
      const ms = msUntilMinuteAgeChanges(now - i.created);
      if (best === undefined || ms < best) best = ms;
    }
    return best;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.renderers.some((r) => r.visible())) return;
    const wait = this.nextChange(Date.now());
    if (wait === undefined) return;
    // A little past the boundary, so the texts have changed when they are rendered.
    this.timer = setTimeout(() => this.tick(), Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, wait + 20)));
    this.timer.unref?.();
  }

  private tick(): void {
    this.timer = undefined;
    for (const r of this.renderers) if (r.visible()) r.renderer.refreshTimes();
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
