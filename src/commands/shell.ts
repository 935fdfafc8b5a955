/**
 * "Open Throwaway Shell": a VS Code terminal (Pseudoterminal) attached to a fresh TTY container
 * (`/bin/sh` by default). Resizes are forwarded; closing the terminal or the shell exiting destroys
 * the container (see `engine/shell.ts`).
 */
import * as vscode from 'vscode';
import { openShell, type ShellSession } from '../engine/shell';
import type { Services } from '../services';
import type { ThrowawayFeature } from './transactions';
import { pickImage, securityFromSettings } from './transactions';

/** What the command returns (tests): the terminal and the container id once the shell started. */
export interface ThrowawayShellHandle {
  terminal: vscode.Terminal;
  /** Resolves with the container id when the shell runs, or rejects when it could not start. */
  containerId: Promise<string>;
}

/** Pseudoterminal bridging a VS Code terminal and a {@link ShellSession}. */
class ThrowawayPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private session: ShellSession | undefined;
  private closedByUser = false;
  private readonly decoder = new TextDecoder();
  readonly started: Promise<string>;
  private resolveStarted!: (id: string) => void;
  private rejectStarted!: (err: Error) => void;

  constructor(
    private readonly feature: ThrowawayFeature,
    private readonly image: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    this.writeEmitter.fire(`Starting a throwaway ${this.image} container…\r\n`);
    const shell = vscode.workspace.getConfiguration('containerLineage.transactions').get<string>('shell', '/bin/sh');
    const { security } = securityFromSettings();
    void (async () => {
      try {
        const session = await openShell(this.feature.runner(), { image: this.image, cmd: [shell], columns: dims?.columns, rows: dims?.rows, security });
        this.session = session;
        this.log.info(`throwaway shell ${session.id.slice(0, 12)} started from ${this.image}`);
        session.onData((d) => this.writeEmitter.fire(this.decoder.decode(d, { stream: true })));
        session.onExit((code, error) => {
          this.log.info(`throwaway shell ${session.id.slice(0, 12)} ended (exit ${code ?? '–'}), container removed${error ? ` with a problem: ${error}` : ''}`);
          if (!this.closedByUser) {
            this.writeEmitter.fire(`\r\n[shell exited${code !== null ? ` with code ${code}` : ''}; container removed]\r\n`);
            this.closeEmitter.fire(code ?? undefined);
          }
        });
        if (this.closedByUser) await session.close();
        this.resolveStarted(session.id);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.writeEmitter.fire(`\r\n${msg}\r\n`);
        this.rejectStarted(new Error(msg));
        void vscode.window.showErrorMessage(msg);
      }
    })();
  }

  handleInput(data: string): void {
    this.session?.write(data);
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    void this.session?.resize(dims.columns, dims.rows);
  }

  close(): void {
    this.closedByUser = true;
    void this.session?.close();
  }
}

/** Register "Open Throwaway Shell" (palette and Images-view context menu). */
export function registerThrowawayShell(services: Services, feature: ThrowawayFeature): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('containerLineage.transactions.openShell', async (arg?: unknown): Promise<ThrowawayShellHandle | undefined> => {
      const image = await pickImage(feature, arg, 'Image for the throwaway shell');
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
