/**
 * What the engine says about itself for choosing a builder: the headers of `GET /_ping`
 * (`Builder-Version`, `Api-Version`, Podman's `Libpod-Api-Version`, `Server`), next to the
 * identity the connection already read from `GET /version`.
 */
import type Docker from 'dockerode';
import type { EngineFacts } from '../../core/builderChoice';
import type { EngineInfo } from '../connection';
import { dialRaw } from './request';

/** How long `/_ping` may take, in ms. */
const PING_TIMEOUT_MS = 10_000;

/**
 * Ask the engine for its `/_ping` headers and combine them with its identity.
 * @param info the connection's engine identity (name, version, API version, "os/arch").
 * @returns the facts; without headers when `/_ping` did not answer (never throws).
 */
export async function probeEngine(docker: Docker, info: EngineInfo | undefined): Promise<EngineFacts> {
  const pingHeaders: Record<string, string> = {};
  try {
    const res = await dialRaw(docker, { path: '/_ping', method: 'GET', abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') pingHeaders[k.toLowerCase()] = v;
    res.resume();
  } catch {
    // decided from the identity alone
  }
  return { pingHeaders, name: info?.name, version: info?.version, apiVersion: info?.apiVersion, os: info?.os.split('/')[0] };
}
