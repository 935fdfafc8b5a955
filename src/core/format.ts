/**
 * Human formatting shared by every face (tree, pickers, reports, CLI): one size formatter in one
 * unit system, counts with correct plurals, and ages like the docker CLI (`docker images`,
 * go-units `HumanDuration`).
 *
 * Sizes are decimal SI units (1 kB = 1000 bytes, as `docker images` and go-units `HumanSize`
 * count), three significant digits, a space before the unit: `1.98 MB`, `117 MB`, `512 B`.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes → e.g. `1.98 MB`, `512 B`, `0 B` (decimal units, 3 significant digits, like go-units
 * `HumanSize` but with a space). Negative or non-finite input gives `?`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
  // 999.95 kB rounds to "1000": say 1 MB instead.
  if (unit > 0 && unit < UNITS.length - 1 && Number(text) >= 1000) {
    text = '1';
    unit++;
  }
  return `${text} ${UNITS[unit]}`;
}

/**
 * `count` with its noun, singular for exactly 1: `plural(1, 'image')` → "1 image",
 * `plural(3, 'child image')` → "3 child images", `plural(2, 'entry', 'entries')` → "2 entries".
 * @param many the plural form (default: `one` + "s").
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Counts joined in words, zero counts left out: `countList([[4, 'image'], [0, 'container']])` →
 * "4 images"; `[[1, 'image'], [2, 'container']]` → "1 image and 2 containers". All zero → `none`
 * (default "nothing").
 */
export function countList(parts: ReadonlyArray<readonly [number, string, string?]>, none = 'nothing'): string {
  const words = parts.filter(([n]) => n > 0).map(([n, one, many]) => plural(n, one, many));
  if (words.length === 0) return none;
  if (words.length === 1) return words[0];
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * Age of a timestamp relative to `now` (both ms since the epoch), like go-units
 * `HumanDuration` + " ago": "Less than a second ago", "1 second ago", "5 seconds ago", "About a
 * minute ago", "3 hours ago", "2 days ago", "5 weeks ago", "3 months ago", "2 years ago".
 * Unknown (NaN) timestamps give "unknown age".
 */
export function formatAge(timestampMs: number, now: number = Date.now()): string {
  if (!Number.isFinite(timestampMs)) return 'unknown age';
  return `${humanDuration(Math.max(0, now - timestampMs) / 1000)} ago`;
}

/**
 * An age to the minute, for items that have children (an image in the tree): "Less than a minute
 * ago" under a minute, otherwise {@link formatAge}. Re-rendering a tree item refreshes what hangs
 * under it too, so such items should not change every second.
 */
export function formatAgeToTheMinute(timestampMs: number, now: number = Date.now()): string {
  if (Number.isFinite(timestampMs) && now - timestampMs < 60_000) return 'Less than a minute ago';
  return formatAge(timestampMs, now);
}

/** ms until {@link formatAgeToTheMinute} of an age of `elapsedMs` reads differently. */
export function msUntilMinuteAgeChanges(elapsedMs: number): number {
  return elapsedMs < 60_000 ? Math.max(1, 60_000 - elapsedMs) : msUntilDurationChanges(elapsedMs);
}

/**
 * go-units `HumanDuration` (github.com/docker/go-units, duration.go) for `seconds` ≥ 0: the text
 * the engine puts in a container's status ("Up 5 minutes", "Exited (0) 2 hours ago").
 */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(seconds / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

/**
 * The smallest number of seconds a {@link humanDuration} text stands for (its lower bound):
 * "Less than a second" → 0, "5 seconds" → 5, "About a minute" → 60, "3 hours" → 9000 (2.5 h,
 * hours are rounded), "2 days" → 171000. undefined for text that is not a duration.
 */
export function humanDurationLowerBound(text: string): number | undefined {
  const t = text.trim();
  if (/^less than a second$/i.test(t)) return 0;
  if (/^about a minute$/i.test(t)) return 60;
  if (/^about an hour$/i.test(t)) return 3600;
  const m = /^(\d+) (second|minute|hour|day|week|month|year)s?$/i.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2].toLowerCase()) {
    case 'second':
      return n;
    case 'minute':
      return n * 60;
    case 'hour':
      return (n - 0.5) * 3600;
    case 'day':
      return (n * 24 - 0.5) * 3600;
    case 'week':
      return (n * 24 * 7 - 0.5) * 3600;
    case 'month':
      return (n * 24 * 30 - 0.5) * 3600;
    default:
      return n * 24 * 365 * 3600;
  }
}

/**
 * Milliseconds from `elapsedMs` until {@link humanDuration} of the elapsed time says something
 * else (the next boundary: the next second under a minute, the next minute under an hour, the
 * next half hour after that). Used to schedule the next re-render of relative times.
 */
export function msUntilDurationChanges(elapsedMs: number): number {
  const e = Math.max(0, elapsedMs);
  const step = e < 60_000 ? 1000 : e < 3_600_000 ? 60_000 : 1_800_000;
  const offset = step === 1_800_000 ? 1_800_000 : 0; // hours round at the half hour
  const next = Math.floor((e + offset) / step) * step + step - offset;
  return Math.max(1, next - e);
}
