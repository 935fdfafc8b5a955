/** Helpers of the engine connection tests (connection.test.ts, engine-ssh.test.ts). */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

/** True once `c`'s event stream is open (polled every 50 ms, for at most 5 s). */
export async function eventStreamOpen(c: EngineConnection): Promise<boolean> {
  for (let i = 0; i < 100 && !c.events.open; i++) await new Promise((r) => setTimeout(r, 50));
  return c.events.open;
}

/**
 * With `c` connected and its event stream held, make `port` (where `c`'s engine is reached: a
 * proxy or front for the real engine) a black hole: iptables drops every packet to and from it (a
 * cable pulled, a VPN gone), so no FIN or RST ever comes. `c` must turn disconnected, without a
 * request of its own, within [5 s, `maxMs`), and connected again with its event stream reopened
 * once packets flow. The rules are removed whatever happens.
 */
export async function noticesBlackHole(c: EngineConnection, port: number, maxMs: number): Promise<void> {
  const hold = c.events.acquire();
  const rules = [['-p', 'tcp', '--dport', String(port), '-j', 'DROP'], ['-p', 'tcp', '--sport', String(port), '-j', 'DROP']];
  let dropping = false;
  const undrop = () => {
    for (const r of rules) execFileSync('iptables', ['-D', 'INPUT', ...r], { stdio: 'pipe' });
    dropping = false;
  };
  try {
    assert.equal((await c.connect()).kind, 'connected');
    assert.ok(await eventStreamOpen(c), 'the event stream is open');
    for (const r of rules) execFileSync('iptables', ['-I', 'INPUT', ...r], { stdio: 'pipe' });
    dropping = true;
    const t0 = Date.now();
    const gone = await within(waitFor(c, 'disconnected'), maxMs + 15_000);
    const ms = Date.now() - t0;
    assert.ok(gone?.kind === 'disconnected', `still ${c.state.kind} ${ms} ms after the engine stopped answering`);
    assert.ok(ms >= 5_000 && ms < maxMs, `noticed after ${ms} ms`);
    undrop();
    await waitFor(c, 'connected');
    assert.ok(await eventStreamOpen(c), 'the event stream reopened with the connection');
  } finally {
    if (dropping) undrop();
    hold.dispose();
  }
}
