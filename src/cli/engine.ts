/**
 * `container-lineage engine [--json]`: which engine the extension would use, found the same way
 * (setting aside: CONTAINER_LINEAGE_ENGINE_HOST stands in for `containerLineage.engine.host`),
 * with every candidate tried and why it failed. Exit code 0 when an engine answered, 1 otherwise.
 */
import { EngineConnection } from '../engine/connection';
import { describeCandidate } from '../engine/endpointProbe';

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(
      'usage: container-lineage engine [--json]\n' +
        '  Finds the container engine like the extension does: CONTAINER_LINEAGE_ENGINE_HOST (the setting),\n' +
        '  DOCKER_HOST, the current Docker context, then the usual sockets. Prints what was tried.\n',
    );
    return 0;
  }
  const engine = new EngineConnection({ env: process.env, host: process.env.CONTAINER_LINEAGE_ENGINE_HOST, retry: false, healthIntervalMs: 0 });
  try {
    const state = await engine.connect();
    if (args.includes('--json')) {
      process.stdout.write(JSON.stringify(state, null, 2) + '\n');
    } else if (state.kind === 'connected') {
      const { info } = state;
      process.stdout.write(`${info.title} (API ${info.apiVersion}) at ${state.endpoint}, from ${state.source}${info.os ? `, ${info.os}` : ''}\n`);
      for (const a of state.attempts.filter((x) => x.error)) process.stdout.write(`  tried first: ${describeCandidate(a)}: ${a.error}\n`);
    } else if (state.kind === 'disconnected') {
      process.stdout.write('No container engine answered. Tried:\n');
      for (const a of state.attempts) process.stdout.write(`  - ${describeCandidate(a)}: ${a.error ?? 'answered'}\n`);
      for (const n of state.notes ?? []) process.stdout.write(`${n}\n`);
    }
    return state.kind === 'connected' ? 0 : 1;
  } finally {
    engine.dispose();
  }
}
