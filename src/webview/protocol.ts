/**
 * Typed messages between the "Container Overhead" webview and the extension host, both ways.
 * Messages FROM the webview are untrusted input: {@link parseWebviewMessage} accepts only the
 * shapes below (known `type`, exactly the listed keys, typed and bounded values) and rejects
 * everything else with a reason. No `vscode` import, so it is unit-testable.
 */
import type { OverheadReport } from '../core/experiment';
import type { ServeCostReport } from '../core/serveCost';
import type { StatsSummary } from '../core/statsFormulas';
import { WORKLOAD_IDS, type WorkloadId } from '../core/workloads';

/** Form values of the panel. */
export interface RunRequest {
  image: string;
  workload: WorkloadId;
  /** Repetitions per series, 1..200. */
  n: number;
  /** Custom workload: shell command line run with `sh -c` in the container. */
  command?: string;
  /** Custom workload: shell command line run with `/bin/sh -c` on the host (default: `command`). */
  hostCommand?: string;
}

/** A running container offered for live stats. */
export interface ContainerChoice {
  id: string;
  name: string;
  image: string;
}

/** One live point for the charts (t = ms since the watch started). */
export interface LivePoint {
  t: number;
  cpuPercent: number;
  memoryBytes: number;
}

/** Everything the webview needs to render from scratch (sent after `ready`). */
export interface PanelState {
  form: RunRequest;
  running: boolean;
  progress?: { done: number; total: number; message: string };
  report?: OverheadReport;
  containers: ContainerChoice[];
  watched: string[];
  live: Record<string, { name: string; points: LivePoint[]; ended?: string }>;
  /** The last session-gateway cost measurement (rendered by media/serve-cost.js). */
  serveCost?: ServeCostReport;
}

/** Host → webview. */
export type HostMessage =
  | { type: 'state'; state: PanelState }
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'running'; running: boolean }
  | { type: 'report'; report: OverheadReport }
  | { type: 'containers'; containers: ContainerChoice[] }
  | { type: 'live'; containerId: string; name: string; point: LivePoint; sample: StatsSummary }
  | { type: 'liveEnded'; containerId: string; message: string }
  | { type: 'error'; message: string }
  | { type: 'serveCost'; report: ServeCostReport }
  /** Test hook: the webview answers with `probeResult` describing its rendered DOM. */
  | { type: 'probe'; requestId: string };

/** What the webview reports about its DOM for the test hook. */
export interface ProbeResult {
  /** `document.body.innerText` (what a user sees). */
  text: string;
  /** Count of elements that could run or load something if engine strings were parsed as HTML. */
  injectedElements: number;
  /** Chart canvases present and drawn. */
  charts: number;
  /** Set by the page if an `onerror`/`alert` payload ever ran. */
  scriptRan: boolean;
}

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | ({ type: 'run' } & RunRequest)
  | { type: 'cancel' }
  | { type: 'export'; format: 'json' | 'csv' }
  | { type: 'copyMarkdown' }
  | { type: 'refreshContainers' }
  | { type: 'watch'; containerIds: string[] }
  | ({ type: 'probeResult'; requestId: string } & ProbeResult);

/** Why a message was rejected. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const MAX_TEXT = 4096;
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(m: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw new ProtocolError(`unexpected field "${k}" in "${String(m.type)}" message`);
}

function str(m: Record<string, unknown>, key: string, opts: { optional?: boolean; max?: number; min?: number } = {}): string | undefined {
  const v = m[key];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
  if (v.length > (opts.max ?? MAX_TEXT)) throw new ProtocolError(`"${key}" is too long`);
  if (v.length < (opts.min ?? 0)) throw new ProtocolError(`"${key}" must not be empty`);
  return v;
}

/**
 * Validate a message received from the webview.
 * @returns the typed message.
 * @throws ProtocolError naming what is wrong (unknown type, missing/extra field, bad value).
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage {
  if (!isRecord(raw)) throw new ProtocolError('message must be an object');
  const type = raw.type;
  switch (type) {
    case 'ready':
    case 'cancel':
    case 'copyMarkdown':
    case 'refreshContainers':
      onlyKeys(raw, ['type']);
      return { type };
    case 'run': {
      onlyKeys(raw, ['type', 'image', 'workload', 'n', 'command', 'hostCommand']);
      const image = str(raw, 'image', { min: 1, max: 512 })!.trim();
      if (!image || /\s/.test(image)) throw new ProtocolError('"image" must be an image reference without spaces');
      const workload = raw.workload;
      if (typeof workload !== 'string' || !(WORKLOAD_IDS as readonly string[]).includes(workload)) {
        throw new ProtocolError(`"workload" must be one of ${WORKLOAD_IDS.join(', ')}`);
      }
      const n = raw.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 200) throw new ProtocolError('"n" must be a whole number from 1 to 200');
      const command = str(raw, 'command', { optional: true });
      const hostCommand = str(raw, 'hostCommand', { optional: true });
      if (workload === 'custom' && !command?.trim()) throw new ProtocolError('a custom workload needs a command');
      const msg: WebviewMessage = { type, image, workload: workload as WorkloadId, n };
      if (command !== undefined) msg.command = command;
      if (hostCommand !== undefined) msg.hostCommand = hostCommand;
      return msg;
    }
    case 'export': {
      onlyKeys(raw, ['type', 'format']);
      if (raw.format !== 'json' && raw.format !== 'csv') throw new ProtocolError('"format" must be "json" or "csv"');
      return { type, format: raw.format };
    }
    case 'watch': {
      onlyKeys(raw, ['type', 'containerIds']);
      const ids = raw.containerIds;
      if (!Array.isArray(ids) || ids.length > 16) throw new ProtocolError('"containerIds" must be a list of at most 16 container ids');
      for (const id of ids) if (typeof id !== 'string' || !CONTAINER_ID.test(id)) throw new ProtocolError('"containerIds" must hold hexadecimal container ids');
      return { type, containerIds: [...new Set(ids as string[])] };
    }
    case 'probeResult': {
      onlyKeys(raw, ['type', 'requestId', 'text', 'injectedElements', 'charts', 'scriptRan']);
      const requestId = str(raw, 'requestId', { min: 1, max: 64 })!;
      const text = str(raw, 'text', { max: 1_000_000 })!;
      const { injectedElements, charts, scriptRan } = raw;
      if (typeof injectedElements !== 'number' || typeof charts !== 'number' || typeof scriptRan !== 'boolean') {
        throw new ProtocolError('"probeResult" needs numeric injectedElements/charts and boolean scriptRan');
      }
      return { type, requestId, text, injectedElements, charts, scriptRan };
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : type)}`);
  }
}
