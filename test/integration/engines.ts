/**
 * The engines the parameterised integration suites run against: the Docker engine the machine
 * has (DOCKER_HOST, the context, the usual sockets) and a private Podman that
 * `scripts/podman.sh` installs and starts on its own socket (Debian's podman 4.3, its own
 * configuration and storage, the Docker engine's base and sample images copied in by ID).
 *
 * Podman cannot START containers in this sandbox (runc may not set RLIMIT_NPROC here), so a suite
 * runs on Podman only what does not start a container: images, tags, inspect, history, lineage,
 * events, container create/inspect/remove, builds.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { EngineKind } from '../../src/core/dialect';
import { EngineConnection } from '../../src/engine/connection';

const ROOT = path.resolve(__dirname, '..', '..');

/** One engine of the parameterised suites. */
export interface TestEngine {
  readonly kind: EngineKind;
  /** "Docker" or "Podman", for suite titles. */
  readonly label: string;
  /** Whether containers can be started here (Podman: no, see the file comment). */
  readonly canStartContainers: boolean;
  /** Connect (starting the private Podman first when needed); fails with the attempts listed. */
  connect(): Promise<{ engine: EngineConnection; docker: Docker; host: string | undefined }>;
}

let podmanReady: Promise<string> | undefined;

/**
 * Make sure the private Podman answers (`bash scripts/podman.sh`: install, start, copy the base
 * and sample images; idempotent, fast when it already runs) and return its address
 * ("unix:///…/podman.sock"). One run per test process.
 * @throws with the script's output when it fails.
 */
export function podmanHost(): Promise<string> {
  podmanReady ??= new Promise<string>((resolve, reject) => {
    execFile('bash', [path.join(ROOT, 'scripts', 'podman.sh'), '--quiet'], { maxBuffer: 16 << 20, timeout: 900_000 }, (err, stdout, stderr) => {
      const m = /^podman: ready at (unix:\/\/\S+?):/m.exec(stdout);
      if (err || !m) reject(new Error(`scripts/podman.sh failed: ${err?.message ?? 'no ready line'}\n${stdout}\n${stderr}`));
      else resolve(m[1]!);
    });
  });
  return podmanReady;
}

async function connectTo(host: string | undefined, kind: EngineKind): Promise<{ engine: EngineConnection; docker: Docker; host: string | undefined }> {
  const engine = new EngineConnection({ env: process.env, host, retry: false, healthIntervalMs: 0 });
  const state = await engine.connect();
  if (state.kind !== 'connected') {
    engine.dispose();
    throw new Error(`no ${kind} engine answered: ${JSON.stringify(state)}`);
  }
  if (state.info.kind !== kind) {
    engine.dispose();
    throw new Error(`expected ${kind} at ${state.endpoint}, found ${state.info.title}`);
  }
  return { engine, docker: engine.docker(), host };
}

export const DOCKER: TestEngine = {
  kind: 'docker',
  label: 'Docker',
  canStartContainers: true,
  connect: () => connectTo(undefined, 'docker'),
};

export const PODMAN: TestEngine = {
  kind: 'podman',
  label: 'Podman',
  canStartContainers: false,
  connect: async () => connectTo(await podmanHost(), 'podman'),
};

/** Both engines, Docker first. */
export const ENGINES: readonly TestEngine[] = [DOCKER, PODMAN];
