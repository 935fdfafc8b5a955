/**
 * What a container per session costs (pure: report shape, summary, text and Markdown rendering).
 * The measurement itself is `engine/serve/cost.ts`. Latencies are client-side, in ms, from
 * sending the request to the end of the response body:
 * - login latency (a new user's first response): through the gateway with a fresh container
 *   (cold), through the gateway from the warm pool (warm), a fresh container without the gateway
 *   (create + start + first successful request: what `docker run` + a request costs), and — the
 *   baseline the issue names — the same first request to one shared container that serves every
 *   session (no isolation, no start);
 * - per-request latency with N sessions logged in, through the gateway vs directly to the same
 *   session's container (its published port), in alternating order.
 * Ratios are of medians (p50), like the Overhead panel's.
 */
import { distribution, ratio, type Distribution } from './stats';

/** The measured series, each a distribution in ms. */
export interface ServeCostSeries {
  /** Login through the gateway, fresh container per login. */
  loginCold: Distribution;
  /** Login through the gateway from a warm pool of N ready containers. */
  loginWarm: Distribution;
  /** Fresh container without the gateway: create + start + first successful request. */
  loginFreshDirect: Distribution;
  /** A new user's first request to one shared container (the baseline). */
  loginShared: Distribution;
  /** Requests of logged-in sessions through the gateway. */
  requestGateway: Distribution;
  /** The same requests straight to each session's container. */
  requestDirect: Distribution;
}

/** One measurement at N concurrent sessions. */
export interface ServeCostReport {
  image: string;
  containerPort: number;
  /** Concurrent sessions (N). */
  sessions: number;
  /** Requests per session in the per-request series. */
  requestsPerSession: number;
  /** Path requested. */
  path: string;
  series: ServeCostSeries;
  /** The raw samples (ms) behind {@link series}. */
  samples: ServeCostSamples;
  /** Display label of each series, in display order (the views render these). */
  labels: Record<keyof ServeCostSeries, string>;
  /** Ratios of p50s. */
  ratios: {
    coldVsShared: number;
    warmVsShared: number;
    coldVsFreshDirect: number;
    warmVsFreshDirect: number;
    gatewayVsDirect: number;
  };
  /** ms since the epoch. */
  startedAt: number;
  durationMs: number;
  notes: string[];
}

/** Raw samples (ms) per series, as measured. */
export type ServeCostSamples = { [K in keyof ServeCostSeries]: number[] };

/**
 * Summarise raw samples into a report.
 * @param meta everything but the series and ratios.
 */
export function summarizeServeCost(meta: Omit<ServeCostReport, 'series' | 'samples' | 'labels' | 'ratios'>, samples: ServeCostSamples): ServeCostReport {
  const series = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, distribution(v)])) as unknown as ServeCostSeries;
  return {
    ...meta,
    series,
    samples,
    labels: Object.fromEntries(SERVE_COST_ROWS.map(([label, key]) => [key, label])) as ServeCostReport['labels'],
    ratios: {
      coldVsShared: ratio(series.loginCold.p50, series.loginShared.p50),
      warmVsShared: ratio(series.loginWarm.p50, series.loginShared.p50),
      coldVsFreshDirect: ratio(series.loginCold.p50, series.loginFreshDirect.p50),
      warmVsFreshDirect: ratio(series.loginWarm.p50, series.loginFreshDirect.p50),
      gatewayVsDirect: ratio(series.requestGateway.p50, series.requestDirect.p50),
    },
  };
}

/** Rows of the report as [label, series key] in display order. */
export const SERVE_COST_ROWS: ReadonlyArray<[string, keyof ServeCostSeries]> = [
  ['login: one shared container (baseline)', 'loginShared'],
  ['login: fresh container, no gateway', 'loginFreshDirect'],
  ['login: gateway, fresh container (cold)', 'loginCold'],
  ['login: gateway, warm pool', 'loginWarm'],
  ['request: direct to the container', 'requestDirect'],
  ['request: through the gateway', 'requestGateway'],
];

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Plain-text table for the CLI. */
export function formatServeCostText(r: ServeCostReport): string {
  const lines = [
    `Cost of a container per session: ${r.image} (port ${r.containerPort}), ${r.sessions} concurrent session(s), ${r.requestsPerSession} request(s) each, path ${r.path}`,
    '',
    `${'series'.padEnd(42)} ${'n'.padStart(4)} ${'p50 ms'.padStart(9)} ${'p95 ms'.padStart(9)} ${'min ms'.padStart(9)}`,
  ];
  for (const [label, key] of SERVE_COST_ROWS) {
    const d = r.series[key];
    lines.push(`${label.padEnd(42)} ${String(d.n).padStart(4)} ${f(d.p50).padStart(9)} ${f(d.p95).padStart(9)} ${f(d.min).padStart(9)}`);
  }
  lines.push(
    '',
    `login, cold vs one shared container:  ×${f(r.ratios.coldVsShared, 2)}`,
    `login, warm vs one shared container:  ×${f(r.ratios.warmVsShared, 2)}`,
    `login, cold vs fresh container direct: ×${f(r.ratios.coldVsFreshDirect, 2)}`,
    `login, warm vs fresh container direct: ×${f(r.ratios.warmVsFreshDirect, 2)}`,
    `request, gateway vs direct:           ×${f(r.ratios.gatewayVsDirect, 2)}`,
    ...r.notes.map((n) => `note: ${n}`),
  );
  return lines.join('\n') + '\n';
}
