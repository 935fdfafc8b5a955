/**
 * Container commands (Images and Containers views, palette): start, stop and restart (stop and
 * restart in a progress notification: they can take the stop timeout, 10 s), remove (modal
 * confirmation whose focused button keeps the container; a running container is stopped by
 * force only after that confirmation), inspect (read-only JSON document named after the
 * container), copy ID, reveal the container's image, View Logs and Attach Shell (terminals).
 */
import * as vscode from 'vscode';
import { bestTag, shortId, type ContainerRecord } from '../core/lineage';
import { removeContainer, restartContainer, startContainer, stopContainer } from '../engine/containers';
import { engineErrorMessage } from '../engine/images';
import type { LineageUi } from '../views/images';
import { openInspectDocument } from './images';
import { confirmDestructive } from './confirm';
import { openLogsTerminal, openShellTerminal } from './containerTerminals';

async function pickContainer(ui: LineageUi, arg: unknown, placeHolder: string, filter?: (c: ContainerRecord) => boolean): Promise<ContainerRecord | undefined> {
  const e = arg as { kind?: string; container?: ContainerRecord } | undefined;
  if (e?.kind === 'container' && e.container) return e.container;
  const selected = (ui.containersView.selection[0] ?? ui.imagesView.selection[0]) as { kind?: string; container?: ContainerRecord } | undefined;
  if (arg === undefined && selected?.kind === 'container' && selected.container && (!filter || filter(selected.container))) return selected.container;
  const snap = await ui.source.ensureSnapshot();
  if (!snap) {
    void vscode.window.showWarningMessage('No container engine is connected: the Containers view lists what was tried.');
    return undefined;
  }
  const candidates = snap.containers.filter((c) => !filter || filter(c));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('No container matches.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({ label: c.names[0] ?? shortId(c.id), description: `${c.state} · ${c.image}`, container: c })),
    { placeHolder },
  );
  return picked?.container;
}

/** Register the container commands. */
export function registerContainerCommands(ui: LineageUi): void {
  const { context, log } = ui.services;
  const op = (id: string, verb: string, filter: ((c: ContainerRecord) => boolean) | undefined, fn: (c: ContainerRecord) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, `Container to ${verb}`, filter);
      if (!c) return;
      const name = c.names[0] ?? shortId(c.id);
      // Stop and restart wait up to the stop timeout (10 s) for the process: say so where it shows.
      const location = verb === 'start' ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
      const title = verb === 'start' ? `Starting ${name}…` : `${verb === 'stop' ? 'Stopping' : 'Restarting'} ${name} (up to 10 s, then it is killed)…`;
      try {
        await vscode.window.withProgress({ location, title }, () => fn(c));
        await ui.source.refresh(['containers']);
      } catch (err) {
        log.error(`${id}: ${engineErrorMessage(err)}`);
        void vscode.window.showErrorMessage(`Could not ${verb} ${name}: ${engineErrorMessage(err)}`);
      }
    });
  const docker = () => ui.services.engine.docker();
  const running = (c: ContainerRecord) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

  context.subscriptions.push(
    op('containerLineage.container.start', 'start', (c) => !running(c), (c) => startContainer(docker(), c.id)),
    op('containerLineage.container.stop', 'stop', running, (c) => stopContainer(docker(), c.id)),
    op('containerLineage.container.restart', 'restart', undefined, (c) => restartContainer(docker(), c.id)),
    vscode.commands.registerCommand('containerLineage.container.remove', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Container to remove');
      if (!c) return;
      const name = c.names[0] ?? shortId(c.id);
      const action = running(c) ? 'Stop and Remove' : 'Remove';
      const choice = await confirmDestructive(
        `${action} container ${name}?`,
        `${c.id}\nState: ${c.state} (${c.status}). Its writable layer is lost; named volumes are kept.`,
        action,
        'Keep Container',
      );
      if (choice !== 'action') return;
      try {
        await removeContainer(docker(), c.id, running(c));
        await ui.source.refresh(['containers']);
      } catch (err) {
        void vscode.window.showErrorMessage(`Could not remove ${name}: ${engineErrorMessage(err)}`);
      }
    }),
    vscode.commands.registerCommand('containerLineage.container.inspect', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Container to inspect');
      if (c) return openInspectDocument('container', c.id, c.names[0] ?? shortId(c.id));
    }),
    vscode.commands.registerCommand('containerLineage.container.viewLogs', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Container whose logs to follow');
      if (c) return openLogsTerminal(ui.services.engine, c.id, c.names[0] ?? shortId(c.id));
    }),
    vscode.commands.registerCommand('containerLineage.container.attachShell', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Running container to open a shell in', (x) => x.state === 'running');
      if (!c) return;
      if (c.state !== 'running') {
        void vscode.window.showWarningMessage(`${c.names[0] ?? shortId(c.id)} is ${c.state}: start it first, then attach a shell.`);
        return;
      }
      return openShellTerminal(ui.services.engine, c.id, c.names[0] ?? shortId(c.id), ui.services.log);
    }),
    vscode.commands.registerCommand('containerLineage.container.copyId', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Container whose ID to copy');
      if (c) await vscode.env.clipboard.writeText(c.id);
    }),
    vscode.commands.registerCommand('containerLineage.container.revealImage', async (arg?: unknown) => {
      const c = await pickContainer(ui, arg, 'Container whose image to reveal');
      if (!c) return;
      const el = ui.images.elementFor(c.imageId);
      if (!el) {
        const image = ui.source.snapshot?.images.find((i) => i.id === c.imageId);
        void vscode.window.showInformationMessage(
          image
            ? `${bestTag(image)} is dangling and dangling images are hidden (toggle in the Images view title).`
            : `The image of ${c.names[0] ?? shortId(c.id)} (${shortId(c.imageId)}, created from ${c.image}) is not present any more.`,
        );
        return;
      }
      await ui.imagesView.reveal(el, { select: true, focus: true });
    }),
  );
}
