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
import { SessionPty } from './sessionPty';
import { shellEnd, type ContainerAfterShell } from '../core/shellEnd';

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
class ShellPty extends SessionPty<ExecSession> {
  constructor(
    private readonly engine: EngineConnection,
    private readonly id: string,
    private readonly name: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  protected async start(dims: vscode.TerminalDimensions | undefined): Promise<{ session: ExecSession; id: string }> {
    const session = await execInContainer(this.engine.docker(), this.id, { cmd: ATTACH_SHELL_COMMAND, tty: true, columns: dims?.columns, rows: dims?.rows, endOnClose: true });
    this.log.info(`attached a shell (exec ${session.id.slice(0, 12)}) to container ${this.name}`);
    return { session, id: session.id };
  }

  protected attach(session: ExecSession): void {
    session.onData((_s, d) => this.writeEmitter.fire(this.decoder.decode(d, { stream: true })));
    session.onExit((code) => {
      void (async () => {
        // Did the user leave the shell, or did the container stop under it (Stop Container)?
        const inspect = () =>
          this.engine
            .docker()
            .getContainer(this.id)
            .inspect()
            .then((i): ContainerAfterShell => ({ running: i.State.Running, exitCode: i.State.ExitCode }), (): ContainerAfterShell => ({ running: undefined }));
        let state = await inspect();
        // Killed by a signal (137 = SIGKILL at the end of Stop): the engine marks the container
        // stopped a moment after the exec ends, so look again for a few seconds.
        for (let i = 0; i < 12 && state.running && code !== null && code >= 128; i++) {
          await new Promise((r) => setTimeout(r, 250));
          state = await inspect();
        }
        const end = shellEnd(this.name, code, state);
        this.log.info(`shell in ${this.name} ended (exit ${code ?? '–'}); the container ${state.running ? 'keeps running' : 'is not running'}`);
        this.ended(end.text, end.code ?? null, !end.close);
      })();
    });
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
