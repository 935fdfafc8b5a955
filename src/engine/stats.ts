/**
 * Live container stats from the Engine API (`GET /containers/{id}/stats`), turned into the
 * `docker stats` columns by `src/core/statsFormulas.ts`.
 *
 * Rules: the container's state is checked before asking (the engine answers a stopped container
 * with a zeroed sample, and a stream on it never ends on some engines); zeroed samples are ignored;
 * every request has a time limit and honours an AbortSignal, so nothing here can hang.
 */
import type Docker from 'dockerode';
import { summarizeSample, type EngineStatsSample, type StatsSummary } from '../core/statsFormulas';

/** What a stats request produced. */
export type StatsOutcome =
  | { kind: 'sample'; containerId: string; name: string; summary: StatsSummary }
  /** The container exists but is not running (state e.g. "exited", "created"): no stats to show. */
  | { kind: 'not-running'; containerId: string; name: string; state: string; message: string }
  | { kind: 'not-found'; containerId: string; message: string }
  /** Running, but the engine sent no usable sample in time (or only zeroed ones). */
  | { kind: 'no-data'; containerId: string; name: string; message: string };

/** A running container a user can watch. */
export interface RunningContainer {
  id: string;
  name: string;
  image: string;
}

function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}

/** Running containers (id, first name without "/", image), for pickers. */
export async function listRunningContainers(docker: Docker): Promise<RunningContainer[]> {
  const list = await docker.listContainers({ filters: { status: ['running'] } });
  return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), image: c.Image }));
}

interface StateCheck {
  running: boolean;
  id: string;
  name: string;
  state: string;
}

async function checkState(docker: Docker, idOrName: string, signal?: AbortSignal): Promise<StateCheck | undefined> {
  try {
    const info = await docker.getContainer(idOrName).inspect({ abortSignal: signal } as object);
    const state = info.State?.Status ?? (info.State?.Running ? 'running' : 'unknown');
    return { running: state === 'running' || state === 'paused', id: info.Id, name: (info.Name ?? '').replace(/^\//, ''), state };
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

function timeoutSignal(ms: number, outer?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`stats request took longer than ${ms} ms`)), ms);
  const onAbort = () => ctl.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  return { signal: ctl.signal, dispose: () => { clearTimeout(timer); outer?.removeEventListener('abort', onAbort); } };
}

/**
 * One stats reading. Inspects first; a container that is not running is answered at once with
 * `not-running` (never waits on the engine). For a running container asks `stream=false`, which
 * waits for two engine samples (~1–2 s) so `precpu_stats` is filled and CPU % is meaningful.
 * @param idOrName container id or name.
 * @param options.timeoutMs limit for the stats request (default 5000 ms); on expiry → `no-data`.
 * @throws only for engine errors other than 404 (e.g. connection refused) or when `signal` aborts.
 */
export async function readStatsOnce(
  docker: Docker,
  idOrName: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<StatsOutcome> {
  const st = await checkState(docker, idOrName, options.signal);
  if (!st) return { kind: 'not-found', containerId: idOrName, message: `No container "${idOrName}" on this engine (removed?).` };
  if (!st.running) {
    return { kind: 'not-running', containerId: st.id, name: st.name, state: st.state, message: `Container ${st.name} is ${st.state}; start it to see live stats.` };
  }
  const limit = timeoutSignal(options.timeoutMs ?? 5000, options.signal);
  try {
    const sample = (await docker.getContainer(st.id).stats({ stream: false, abortSignal: limit.signal } as { stream: false })) as unknown as EngineStatsSample;
    const summary = summarizeSample(sample);
    if (!summary) return { kind: 'no-data', containerId: st.id, name: st.name, message: `Container ${st.name} stopped while reading stats.` };
    return { kind: 'sample', containerId: st.id, name: st.name, summary };
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (statusCode(err) === 404) return { kind: 'not-found', containerId: st.id, message: `Container ${st.name} was removed while reading stats.` };
    if (limit.signal.aborted) return { kind: 'no-data', containerId: st.id, name: st.name, message: `No stats from ${st.name} within ${options.timeoutMs ?? 5000} ms.` };
    throw err;
  } finally {
    limit.dispose();
  }
}

/** Why a stats stream ended. */
export type StreamEnd =
  | { reason: 'cancelled' }
  | { reason: 'stopped'; state: string; message: string }
  | { reason: 'not-found'; message: string }
  | { reason: 'error'; message: string };

/**
 * Stream stats of a running container (one sample a second from the engine) until it stops,
 * disappears, or `signal` aborts. Zeroed samples are skipped; after a zeroed sample, or when no
 * sample arrives for `idleMs` (default 4000 ms), the state is checked again and the stream ends
 * with `stopped` if the container is no longer running. Resolves; never rejects.
 * @param onSample receives each usable sample's summary (CPU % from the engine's `precpu_stats`;
 *   the first sample shows 0 % since it has no previous reading).
 */
export async function streamStats(
  docker: Docker,
  idOrName: string,
  onSample: (summary: StatsSummary, container: { id: string; name: string }) => void,
  options: { signal?: AbortSignal; idleMs?: number } = {},
): Promise<StreamEnd> {
  const signal = options.signal;
  let st: StateCheck | undefined;
  try {
    st = await checkState(docker, idOrName, signal);
  } catch (err) {
    return signal?.aborted ? { reason: 'cancelled' } : { reason: 'error', message: String(err) };
  }
  if (!st) return { reason: 'not-found', message: `No container "${idOrName}" on this engine.` };
  if (!st.running) return { reason: 'stopped', state: st.state, message: `Container ${st.name} is ${st.state}.` };
  const container = { id: st.id, name: st.name };
  const ctl = new AbortController();
  const onOuterAbort = () => ctl.abort();
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (signal?.aborted) ctl.abort();

  return new Promise<StreamEnd>((resolve) => {
    let settled = false;
    let buffer = '';
    let idleTimer: NodeJS.Timeout | undefined;
    let stream: NodeJS.ReadableStream | undefined;
    const finish = (end: StreamEnd) => {
      if (settled) return;
      settled = true;
      if (idleTimer) clearTimeout(idleTimer);
      signal?.removeEventListener('abort', onOuterAbort);
      ctl.abort();
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      resolve(end);
    };
    const recheck = async () => {
      try {
        const now = await checkState(docker, container.id);
        if (!now) finish({ reason: 'not-found', message: `Container ${container.name} was removed.` });
        else if (!now.running) finish({ reason: 'stopped', state: now.state, message: `Container ${container.name} is ${now.state}.` });
        else armIdle();
      } catch (err) {
        finish(signal?.aborted ? { reason: 'cancelled' } : { reason: 'error', message: String(err) });
      }
    };
    const armIdle = () => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void recheck(), options.idleMs ?? 4000);
    };
    ctl.signal.addEventListener('abort', () => finish({ reason: 'cancelled' }), { once: true });
    if (ctl.signal.aborted) return finish({ reason: 'cancelled' });
    armIdle();
    docker
      .getContainer(container.id)
      .stats({ stream: true, abortSignal: ctl.signal } as { stream: true })
      .then((s) => {
        stream = s as unknown as NodeJS.ReadableStream;
        if (settled) return (stream as unknown as { destroy?: () => void }).destroy?.();
        stream.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf('\n');
            if (!line) continue;
            let sample: EngineStatsSample;
            try {
              sample = JSON.parse(line) as EngineStatsSample;
            } catch {
              continue;
            }
            const summary = summarizeSample(sample);
            if (summary) {
              armIdle();
              onSample(summary, container);
            } else {
              void recheck();
            }
          }
        });
        stream.on('end', () => void recheck().then(() => finish({ reason: 'stopped', state: 'unknown', message: `Stats stream of ${container.name} ended.` })));
        stream.on('error', (err: Error) => finish(ctl.signal.aborted ? { reason: 'cancelled' } : { reason: 'error', message: err.message }));
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) finish({ reason: 'cancelled' });
        else if (statusCode(err) === 404) finish({ reason: 'not-found', message: `Container ${container.name} was removed.` });
        else finish({ reason: 'error', message: String(err) });
      });
  });
}
