import { EngineConnection } from '../engine/connection';
import { describeCandidate } from '../engine/endpointProbe';

/**
 * Connects the command line to the engine the same way for every subcommand: the extension's
 * resolver (DOCKER_HOST, the Docker context, the usual sockets), with `CONTAINER_LINEAGE_ENGINE_HOST`
 * standing in for the `containerLineage.engine.host` setting; no background retry or health ping
 * (a command runs once).
 *
 * @param command the subcommand, used as the message prefix (e.g. "tree").
 * @param write   sink for the failure message (default: standard error).
 * @returns the connected `EngineConnection` (call `dispose()` when done), or undefined after writing
 *   every endpoint tried, why it failed, and what to do. Never throws.
 */
export async function connectCli(
  command: string,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Promise<EngineConnection | undefined> {
  const engine = new EngineConnection({
    env: process.env,
    host: process.env.CONTAINER_LINEAGE_ENGINE_HOST || undefined,
    retry: false,
    healthIntervalMs: 0,
  });
  const state = await engine.connect();
  if (state.kind === 'connected') return engine;
  const attempts = state.kind === 'disconnected' ? state.attempts : [];
  const notes = state.kind === 'disconnected' ? (state.notes ?? []) : [];
  write(
    `container-lineage ${command}: no container engine answered. Tried:\n` +
      (attempts.map((a) => `  - ${describeCandidate(a)}: ${a.error ?? 'answered'}\n`).join('') || '  (nothing)\n') +
      notes.map((n) => `  ${n}\n`).join('') +
      'Start the engine (bash scripts/engine.sh), or point DOCKER_HOST or CONTAINER_LINEAGE_ENGINE_HOST at one that answers, then run again.\n',
  );
  engine.dispose();
  return undefined;
}
