/** Helpers of the engine connection tests (connection.test.ts, engine-ssh.test.ts). */
import type { EngineConnection, EngineState } from '../../src/engine/connection';

/** Resolve when the connection reaches `kind` (now or later). */
export function waitFor(c: EngineConnection, kind: EngineState['kind']): Promise<EngineState> {
  if (c.state.kind === kind) return Promise.resolve(c.state);
  return new Promise((resolve) => {
    const sub = c.onDidChangeState((s) => {
      if (s.kind === kind) {
        sub.dispose();
        resolve(s);
      }
    });
  });
}

/** `p`'s value, or undefined when it has not settled within `ms` (its timer cleared either way, so nothing keeps the test process alive). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
