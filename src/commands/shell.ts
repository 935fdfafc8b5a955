/**
 * "Open Throwaway Shell": a VS Code terminal (Pseudoterminal) attached to a fresh TTY container
 * (`/bin/sh` by default). Resizes are forwarded; closing the terminal or the shell exiting destroys
 * the container (see `engine/shell.ts`).
 */
import * as vscode from 'vscode';
import { openShell, type ShellSession } from '../engine/shell';
import type { Services } from '../services';
import { SessionPty } from './sessionPty';
import type { ThrowawayFeature } from './transactions';
import { pickImage, securityFromSettings } from './throwawayInput';

/** What the command returns (tests): the terminal and the container id once the shell started. */
export interface ThrowawayShellHandle {
  terminal: vscode.Terminal;
  /** Resolves with the container id when the shell runs, or rejects when it could not start. */
  containerId: Promise<string>;
}

/** Pseudoterminal bridging a VS Code terminal and a {@link ShellSession}. */
class ThrowawayPty extends SessionPty<ShellSession> {
  constructor(
    private readonly feature: ThrowawayFeature,
    private readonly image: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  protected async start(dims: vscode.TerminalDimensions | undefined): Promise<{ session: ShellSession; id: string }> {
    this.writeEmitter.fire(`Starting a throwaway ${this.image} container…\r\n`);
    const shell = vscode.workspace.getConfiguration('containerLineage.transactions').get<string>('shell', '/bin/sh');
    const { security } = securityFromSettings();
    const session = await openShell(this.feature.runner(), { image: this.image, cmd: [shell], columns: dims?.columns, rows: dims?.rows, security });
    this.log.info(`throwaway shell ${session.id.slice(0, 12)} started from ${this.image}`);
    return { session, id: session.id };
  }

  protected attach(session: ShellSession): void {
    session.onData((d) => this.writeEmitter.fire(this.decoder.decode(d, { stream: true })));
    session.onExit((code, error) => {
      this.log.info(`throwaway shell ${session.id.slice(0, 12)} ended (exit ${code ?? '–'}), container removed${error ? ` with a problem: ${error}` : ''}`);
      this.ended(`\r\n[shell exited${code !== null ? ` with code ${code}` : ''}; container removed]\r\n`, code);
    });
  }
}

/** Register "Open Throwaway Shell" (palette and Images-view context menu). */
export function registerThrowawayShell(services: Services, feature: ThrowawayFeature): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('containerLineage.transactions.openShell', async (arg?: unknown): Promise<ThrowawayShellHandle | undefined> => {
      const image = await pickImage(feature, arg, 'Image for the throwaway shell', { title: 'Open Throwaway Shell' });
      if (!image) return undefined;
      try {
        feature.runner();
      } catch (err) {
        void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
        return undefined;
      }
      const pty = new ThrowawayPty(feature, image, services.log);
      const terminal = vscode.window.createTerminal({ name: `Throwaway: ${image}`, pty, iconPath: new vscode.ThemeIcon('flame') });
      terminal.show();
      return { terminal, containerId: pty.started };
    }),
  );
}
