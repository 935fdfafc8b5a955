/** Shared helpers for the throwaway-container integration tests (real engine). */
import type Docker from 'dockerode';
import { EngineConnection } from '../../src/engine/connection';
import { LABEL_THROWAWAY } from '../../src/core/labels';
import { TransactionRunner } from '../../src/engine/transaction';

export const IMAGE = 'busybox:latest';

/** Connect to the real engine or fail with the attempts listed. */
export async function connectEngine(): Promise<{ engine: EngineConnection; docker: Docker }> {
  const engine = new EngineConnection({ env: process.env });
  const state = await engine.connect();
  if (state.kind !== 'connected') throw new Error(`no engine: ${JSON.stringify(state)}`);
  return { engine, docker: engine.docker() };
}

/** Ids of containers (any state) carrying our throwaway label for this session. */
export async function containersOfSession(docker: Docker, sessionId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_THROWAWAY}=${sessionId}`] } });
  return list.map((c) => c.Id);
}

/** Remove every container of a test label (after hooks; only ours). */
export async function removeByTestLabel(docker: Docker, suite: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`io.container-lineage.test=${suite}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** A unique suffix for names and labels. */
export function suffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** What {@link throwawaySuite} provides once its `before` hook ran. */
export interface ThrowawaySuite {
  /** Value of the `io.container-lineage.test` label on everything this suite creates. */
  readonly suite: string;
  readonly engine: EngineConnection;
  readonly docker: Docker;
  /** A runner whose containers carry the suite label; disposed in `after`. */
  readonly runner: TransactionRunner;
}

/**
 * Register mocha `before`/`after` hooks that connect to the real engine and make a labelled
 * runner; `after` disposes it and removes whatever still carries this suite's label (only ours).
 * @param name suite name (a random suffix is added).
 */
export function throwawaySuite(name: string): ThrowawaySuite {
  const suite = `${name}-${suffix()}`;
  const ctx = { suite } as { suite: string; engine: EngineConnection; docker: Docker; runner: TransactionRunner };
  before(async () => {
    const { engine, docker } = await connectEngine();
    ctx.engine = engine;
    ctx.docker = docker;
    ctx.runner = new TransactionRunner(docker, { labels: { 'io.container-lineage.test': suite } });
  });
  after(async () => {
    await ctx.runner?.dispose();
    if (ctx.docker) await removeByTestLabel(ctx.docker, suite);
    ctx.engine?.dispose();
  });
  return ctx;
}
