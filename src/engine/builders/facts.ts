/**
 * What the engine says about itself for choosing a builder: the connection's identity (kind,
 * versions, OS, the `/_ping` builder header it read), or, without one, `/_ping` asked here.
 */
import type Docker from 'dockerode';
import { factsFromPing, type EngineFacts } from '../../core/builderChoice';
import type { EngineInfo } from '../endpointProbe';
import { dialRaw } from './request';

/** How long `/_ping` may take, in ms. */
const PING_TIMEOUT_MS = 10_000;

/**
 * The facts for {@link chooseBuilder}.
 * @param info the connection's engine identity; when undefined, `/_ping`'s headers decide.
 * @returns the facts (never throws: an engine that does not answer `/_ping` is taken as Docker
 *   without BuildKit information).
 */
export async function probeEngine(docker: Docker, info: EngineInfo | undefined): Promise<EngineFacts> {
  if (info) return { kind: info.kind, builderVersion: info.builderVersion, version: info.version, apiVersion: info.apiVersion, os: info.os.split('/')[0] };
  const headers: Record<string, string> = {};
  try {
    const res = await dialRaw(docker, { path: '/_ping', method: 'GET', abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    res.resume();
  } catch {
    // decided without headers
  }
  return factsFromPing(headers);
}
