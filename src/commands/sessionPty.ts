/**
 * The Pseudoterminal plumbing shared by the interactive terminals (Open Throwaway Shell, Attach
 * Shell): start a session when the terminal opens, forward keystrokes and resizes, end the
 * session when the terminal closes (also when it closed before the session started), and close
 * the terminal with a last word when the session ends by itself.
 */
import * as vscode from 'vscode';

/** What a terminal drives: keystrokes in, resizes, an end. */
export interface PtySession {
  write(data: string): void;
  resize(columns: number, rows: number): Promise<void>;
  close(): Promise<unknown>;
}

export abstract class SessionPty<S extends PtySession> implements vscode.Pseudoterminal {
  protected readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private session: S | undefined;
  private closedByUser = false;
  /** Decodes the session's output bytes (UTF-8 split across chunks). */
  protected readonly decoder = new TextDecoder();
  /** Resolves with the session's ID (container or exec) once it runs; rejects when it could not start. */
  readonly started: Promise<string>;
  private resolveStarted!: (id: string) => void;
  private rejectStarted!: (err: Error) => void;

  constructor() {
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined);
  }

  /** Start the session (the terminal's size given); @returns it and its ID. @throws with a message for the user. */
  protected abstract start(dims: vscode.TerminalDimensions | undefined): Promise<{ session: S; id: string }>;

  /** Wire the started session's output and its end (call {@link ended} when it ends by itself). */
  protected abstract attach(session: S): void;

  /**
   * The session ended by itself: unless the user closed the terminal, show `text` and close it
   * (with `code`), or, with `keepOpen`, leave it open showing `text` (the user closes it).
   */
  protected ended(text: string, code: number | null, keepOpen = false): void {
    if (this.closedByUser) return;
    this.writeEmitter.fire(text);
    if (!keepOpen) this.closeEmitter.fire(code ?? undefined);
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    void (async () => {
      try {
        const { session, id } = await this.start(dims);
        this.session = session;
        this.attach(session);
        if (this.closedByUser) await session.close();
        this.resolveStarted(id);
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
