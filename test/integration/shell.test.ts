import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { TransactionRunner } from '../../src/engine/transaction';
import { openShell, type ShellSession } from '../../src/engine/shell';
import { LABEL_KIND } from '../../src/core/labels';
import { containersOfSession, IMAGE, suffix, throwawaySuite } from './helpers-throwaway';

function collect(session: ShellSession): { text: () => string; exit: Promise<{ code: number | null; error?: string }> } {
  let out = '';
  session.onData((d) => (out += d.toString('utf8')));
  const exit = new Promise<{ code: number | null; error?: string }>((resolve) => session.onExit((code, error) => resolve({ code, error })));
  return { text: () => out, exit };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('throwaway shell (real engine)', function () {
  const ctx = throwawaySuite('shell');
  const { suite } = ctx;
  let docker: Docker;
  let runner: TransactionRunner;
  before(() => {
    ({ docker, runner } = ctx);
  });

  it('runs an interactive shell with a TTY of the given size; the shell exiting removes the container', async () => {
    const session = await openShell(runner, { image: IMAGE, columns: 100, rows: 30 });
    const out = collect(session);
    const info = await docker.getContainer(session.id).inspect();
    assert.equal(info.Config.Tty, true);
    assert.equal(info.Config.Labels[LABEL_KIND], 'shell');
    session.write('stty size; echo "marker-$((6*7))"\n');
    await until(() => out.text().includes('marker-42'), 'shell output');
    assert.match(out.text(), /30 100/);
    await session.resize(120, 40);
    session.write('stty size\n');
    await until(() => /40 120/.test(out.text()), 'resized tty');
    session.write('exit 7\n');
    const ended = await out.exit;
    assert.equal(ended.code, 7);
    assert.equal(ended.error, undefined);
    await assert.rejects(docker.getContainer(session.id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it('closing the session (terminal closed) kills and removes the container', async () => {
    const session = await openShell(runner, { image: IMAGE });
    const out = collect(session);
    await session.close();
    const ended = await out.exit;
    assert.equal(ended.error, undefined);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('a missing image gives a message that says what to do', async () => {
    await assert.rejects(openShell(runner, { image: `container-lineage-missing-${suffix()}:x` }), /build or pull it first/);
  });
});
