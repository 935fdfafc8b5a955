/**
 * Throwaway containers in the real extension host against the real engine: Run Transactions
 * (cold and warm pool) returns its report, the isolation check passes, a throwaway shell opens a
 * terminal on a fresh TTY container that the Containers view marks as throwaway, and closing the
 * terminal — or the shell exiting — removes the container. Nothing with our owner pid remains.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import type { BatchReport } from '../../../src/core/batch';
import type { IsolationReport } from '../../../src/core/isolation';
import type { ThrowawayShellHandle } from '../../../src/commands/shell';
import { EXTENSION_ID, findRow, waitFor, type TreeRow } from './helpers';

const IMAGE = 'busybox:latest';
const OWNER_PID = 'io.container-lineage.owner-pid';

type RenderedItem = TreeRow;
const find = (items: RenderedItem[], pred: (i: RenderedItem) => boolean): RenderedItem | undefined => findRow(items, pred);

describe('Throwaway containers', function () {
  this.timeout(180_000);
  let services: Services;

  /** Containers created by this extension host (our owner pid), any state. */
  async function ours(): Promise<string[]> {
    const list = await services.engine.docker().listContainers({ all: true, filters: { label: [`${OWNER_PID}=${process.pid}`] } });
    return list.map((c) => c.Id);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<{ services: Services }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    services = (await ext.activate()).services;
    await waitFor('engine connected', 30_000, () => (services.engine.state.kind === 'connected' ? true : undefined));
  });

  after(async () => {
    await vscode.commands.executeCommand('containerLineage.transactions.drainPools');
    for (const t of vscode.window.terminals) if (t.name.startsWith('Throwaway:')) t.dispose();
  });

  it('Run Transactions (cold) reports count, failures, throughput and percentiles', async () => {
    const report = await vscode.commands.executeCommand<BatchReport>('containerLineage.transactions.run', {
      image: IMAGE,
      cmd: ['sh', '-c', 'echo hi'],
      count: 6,
      concurrency: 2,
      quiet: true,
    });
    assert.ok(report, 'a report is returned');
    assert.equal(report.completed, 6);
    assert.equal(report.failures, 0);
    assert.equal(report.mode, 'cold');
    assert.ok(report.throughput > 0);
    assert.equal(report.phases.total.n, 6);
    assert.deepEqual(await ours(), []);
  });

  it('Run Transactions with a warm pool: each pool container serves one transaction; draining leaves nothing', async () => {
    const report = await vscode.commands.executeCommand<BatchReport>('containerLineage.transactions.run', {
      image: IMAGE,
      cmd: ['true'],
      count: 4,
      concurrency: 2,
      poolSize: 2,
      quiet: true,
    });
    assert.equal(report.mode, 'warm');
    assert.equal(report.completed, 4);
    assert.equal(report.failures, 0);
    assert.equal(report.phases.create.n, 0, 'create is background work for warm transactions');
    assert.equal(report.phases.exec.n, 4);
    // the kept pool tops itself up with idle containers (kept until drained), marked as pooled
    const idle = await waitFor('idle pool containers', 30_000, async () => {
      const ids = await ours();
      return ids.length >= 2 ? ids : undefined;
    });
    const row = await waitFor('a pool container in the Containers view', 20_000, async () => {
      const tree = (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', 'containers', true)) ?? [];
      return find(tree, (i) => i.id === `container:${idle[0]}`);
    });
    assert.match(row.description ?? '', /^pooled · /);
    assert.equal(await vscode.commands.executeCommand<number>('containerLineage.transactions.drainPools'), 1);
    assert.deepEqual(await ours(), []);
  });

  it('Check Isolation passes with evidence', async () => {
    const report = await vscode.commands.executeCommand<IsolationReport>('containerLineage.transactions.checkIsolation', { image: IMAGE, count: 3, quiet: true });
    assert.ok(report);
    assert.equal(report.passed, true, report.summary);
    assert.equal(report.steps.length, 3);
    assert.deepEqual(await ours(), []);
  });

  it('Open Throwaway Shell: a terminal on a fresh TTY container, marked in the Containers view, removed when the shell exits', async () => {
    const handle = await vscode.commands.executeCommand<ThrowawayShellHandle>('containerLineage.transactions.openShell', IMAGE);
    assert.ok(handle);
    const id = await handle.containerId;
    const info = await services.engine.docker().getContainer(id).inspect();
    assert.equal(info.Config.Tty, true);
    assert.equal(info.Config.Labels['io.container-lineage.kind'], 'shell');

    const row = await waitFor('the shell container in the Containers view', 20_000, async () => {
      const tree = (await vscode.commands.executeCommand<RenderedItem[]>('containerLineage.internal.renderTree', 'containers', true)) ?? [];
      return find(tree, (i) => i.id === `container:${id}`);
    });
    assert.match(row.description ?? '', /^throwaway · /);

    const closed = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidCloseTerminal((t) => {
        if (t === handle.terminal) {
          sub.dispose();
          resolve(t);
        }
      });
    });
    handle.terminal.sendText('exit 5');
    const t = await closed;
    assert.equal(t.exitStatus?.code, 5);
    await waitFor('container removed', 20_000, async () => ((await ours()).includes(id) ? undefined : true));
  });

  it('closing the throwaway terminal removes its container', async () => {
    const handle = await vscode.commands.executeCommand<ThrowawayShellHandle>('containerLineage.transactions.openShell', IMAGE);
    const id = await handle.containerId;
    assert.ok((await ours()).includes(id));
    handle.terminal.dispose();
    await waitFor('container removed after the terminal closed', 20_000, async () => ((await ours()).includes(id) ? undefined : true));
    assert.deepEqual(await ours(), []);
  });
});
