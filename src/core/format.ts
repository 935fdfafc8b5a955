/**
 * Human formatting of sizes and ages, matching the docker CLI (`docker images`): sizes in
 * decimal units (1 kB = 1000 bytes, go-units `HumanSize`), ages like "5 minutes ago".
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes → e.g. `1.98MB`, `512B`, `0B`, with 3 significant digits like go-units `HumanSize`.
 * Negative or non-finite input gives `?`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
  return `${text}${UNITS[unit]}`;
}

/**
 * Age of a timestamp relative to `now` (both ms since the epoch), like go-units
 * `HumanDuration` + " ago": "Less than a second ago", "5 seconds ago", "About a minute ago",
 * "3 hours ago", "2 days ago", "5 weeks ago", "3 months ago", "2 years ago".
 * Unknown (NaN) timestamps give "unknown age".
 */
export function formatAge(timestampMs: number, now: number = Date.now()): string {
  if (!Number.isFinite(timestampMs)) return 'unknown age';
  const s = Math.max(0, (now - timestampMs) / 1000);
  return `${humanDuration(s)} ago`;
}

function humanDuration(seconds: number): string {
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${Math.floor(seconds)} seconds`;
  const minutes = seconds / 60;
  if (Math.floor(minutes) === 1) return 'About a minute';
  if (minutes < 60) return `${Math.floor(minutes)} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}
