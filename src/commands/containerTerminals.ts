/**
 * Terminals on existing containers: "View Logs" (the container's logs, followed, in a read-only
 * terminal; closing it stops following) and "Attach Shell" (an interactive shell exec'd into a
 * running container; resizes forwarded; closing the terminal ends the shell, never the
 * container). Both are on the container context menu and in the palette.
 */
import * as vscode from 'vscode';
import { ATTACH_SHELL_COMMAND, execInContainer, type ExecSession } from '../engine/exec';
import { readLogs } from '../engine/logs';
import type { EngineConnection } from '../engine/connection';

/** A terminal's text: the terminal wants CRLF line ends. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Logs of one container, followed, into a terminal. */
class LogsPty implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.closed.event;
  private readonly abort = new AbortController();
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  /** Resolves when the log stream ended (the container stopped, or the terminal was closed). */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    private readonly engine: EngineConnection,
    private readonly id: string,
    private readonly name: string,
  ) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  open(): void {
    void (async () => {
      try {
        const end = await readLogs(this.engine.docker(), this.id, {
          follow: true,
          tail: 1000,
          signal: this.abort.signal,
          onData: (stream, bytes) => {
            const text = crlf(this.decoders[stream].decode(bytes, { stream: true }));
            // stderr in red, so it stands apart from stdout in the one terminal.
            this.write.fire(stream === 'stderr' ? `\x1b[31m${text}\x1b[0m` : text);
          },
        });
        if (end.reason === 'ended') this.write.fire(`\r\n\x1b[2m[${this.name} stopped: no more output; close this terminal]\x1b[0m\r\n`);
      } catch (err) {
        this.write.fire(`\r\n${err instanceof Error ? err.message : String(err)}\r\n`);
      } finally {
        this.resolveEnded();
      }
    })();
  }

  handleInput(data: string): void {
    // Read-only; Ctrl-C closes it like `docker logs -f`.
    if (data === '\x03') this.closed.fire();
  }

  close(): void {
    this.abort.abort();
  }
}

/** An interactive shell exec'd into a running container. */
class ShellPty implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.closed.event;
  private session: ExecSession | undefined;
  private closedByUser = false;
  private readonly decoder = new TextDecoder();
  /** Resolves with the exec ID once the shell runs; rejects when it could not start. */
  readonly started: Promise<string>;
  private resolveStarted!: (id: string) => void;
  private rejectStarted!: (err: Error) => void;

  constructor(
    private readonly engine: EngineConnection,
    private readonly id: string,
    private readonly name: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    void (async () => {
      try {
        const session = await execInContainer(this.engine.docker(), this.id, { cmd: ATTACH_SHELL_COMMAND, tty: true, columns: dims?.columns, rows: dims?.rows, endOnClose: true });
        this.session = session;
        this.log.info(`attached a shell (exec ${session.id.slice(0, 12)}) to container ${this.name}`);
        session.onData((_s, d) => this.write.fire(this.decoder.decode(d, { stream: true })));
        session.onExit((code) => {
          this.log.info(`shell in ${this.name} ended (exit ${code ?? '–'}); the container keeps running`);
          if (!this.closedByUser) {
            this.write.fire(`\r\n[shell exited${code !== null ? ` with code ${code}` : ''}; ${this.name} keeps running]\r\n`);
            this.closed.fire(code ?? undefined);
          }
        });
        if (this.closedByUser) await session.close();
        this.resolveStarted(session.id);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.write.fire(`\r\n${msg}\r\n`);
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

/** What the commands return (tests). */
export interface ContainerTerminal {
  terminal: vscode.Terminal;
  /** Logs: resolves when following stopped. Shell: resolves with the exec ID once it runs. */
  ready: Promise<unknown>;
}

/** Open a terminal following a container's logs. */
export function openLogsTerminal(engine: EngineConnection, id: string, name: string): ContainerTerminal {
  const pty = new LogsPty(engine, id, name);
  const terminal = vscode.window.createTerminal({ name: `Logs: ${name}`, pty, iconPath: new vscode.ThemeIcon('output') });
  terminal.show();
  return { terminal, ready: pty.ended };
}

/** Open a terminal with a shell exec'd into a running container. */
export function openShellTerminal(engine: EngineConnection, id: string, name: string, log: vscode.LogOutputChannel): ContainerTerminal {
  const pty = new ShellPty(engine, id, name, log);
  const terminal = vscode.window.createTerminal({ name: `Shell: ${name}`, pty, iconPath: new vscode.ThemeIcon('terminal') });
  terminal.show();
  return { terminal, ready: pty.started };
}
