/**
 * Keeps a container's status text ("Up 5 minutes", "Exited (0) 2 hours ago") true as time passes,
 * without asking the engine again (pure; no engine, no VS Code).
 *
 * The engine writes the status at list time with go-units `HumanDuration` of the time since the
 * container started (or finished). From the text and the time of the list we recover when that
 * happened (the duration's lower bound, see {@link humanDurationLowerBound}), and re-render the
 * duration for any later moment. An earlier, more precise estimate (e.g. from "Up Less than a
 * second") is kept for as long as later lists agree with it.
 */
import { humanDuration, humanDurationLowerBound, msUntilDurationChanges } from './format';

/** A status text split around its duration: `prefix` + duration + `suffix`. */
export interface TimedStatus {
  /** e.g. "Up ", "Exited (0) ", "Restarting (1) ". */
  prefix: string;
  /** The duration text, e.g. "5 minutes". */
  duration: string;
  /** e.g. "", " ago", " (Paused)", " (healthy) ago"… */
  suffix: string;
  /** Lower bound of the duration in seconds. */
  seconds: number;
}

/**
 * Split a Docker/Podman status text around its duration. Handles `Up D`, `Up D (Paused)`,
 * `Up D (healthy)`, `Exited (N) D ago`, `Restarting (N) D ago`. undefined for texts without one
 * ("Created", "Dead", "Removal In Progress", anything unknown).
 */
export function parseTimedStatus(status: string): TimedStatus | undefined {
  const m = /^(Up |(?:Exited|Restarting) \(-?\d+\) )(.+?)( ago)?( \([^)]*\))?$/.exec(status.trim());
  if (!m) return undefined;
  const seconds = humanDurationLowerBound(m[2]);
  if (seconds === undefined) return undefined;
  return { prefix: m[1], duration: m[2], suffix: `${m[3] ?? ''}${m[4] ?? ''}`, seconds };
}

interface Anchor {
  /** The status without its duration (prefix + "|" + suffix): a state change resets the anchor. */
  shape: string;
  /** When the timed event (start, finish) happened, ms since the epoch. */
  at: number;
}

/**
 * Per-container anchors: call {@link observe} with every listed status (and the time of the
 * list), then {@link render} at any later time. Containers not observed again are forgotten by
 * {@link retain}.
 */
export class StatusClock {
  private readonly anchors = new Map<string, Anchor>();

  /**
   * Record a listed status.
   * @param id container ID.
   * @param status the engine's `Status` text at `listedAt`.
   * @param listedAt when the list was taken (ms since the epoch).
   */
  observe(id: string, status: string, listedAt: number): void {
    const parsed = parseTimedStatus(status);
    if (!parsed) {
      this.anchors.delete(id);
      return;
    }
    const shape = `${parsed.prefix}|${parsed.suffix}`;
    const old = this.anchors.get(id);
    // Keep the old anchor while it still explains what the engine says now (it may be finer).
    if (old && old.shape === shape && old.at <= listedAt && humanDuration((listedAt - old.at) / 1000) === parsed.duration) return;
    this.anchors.set(id, { shape, at: listedAt - parsed.seconds * 1000 });
  }

  /** Forget every container not in `ids`. */
  retain(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.anchors.keys()) if (!keep.has(id)) this.anchors.delete(id);
  }

  /** The status as the engine would write it at `now` (the listed text when it has no duration). */
  render(id: string, status: string, now: number): string {
    const parsed = parseTimedStatus(status);
    const a = this.anchors.get(id);
    if (!parsed || !a || a.shape !== `${parsed.prefix}|${parsed.suffix}`) return status;
    const seconds = Math.max(0, now - a.at) / 1000;
    const ago = parsed.suffix.startsWith(' ago');
    return `${parsed.prefix}${humanDuration(seconds)}${ago ? ' ago' : ''}${parsed.suffix.replace(/^ ago/, '')}`;
  }

  /** ms until some rendered status changes, or undefined when none has a duration. */
  msUntilNextChange(now: number): number | undefined {
    let best: number | undefined;
    for (const a of this.anchors.values()) {
      const ms = msUntilDurationChanges(now - a.at);
      if (best === undefined || ms < best) best = ms;
    }
    return best;
  }
}
