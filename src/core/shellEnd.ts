/**
 * What an Attach Shell terminal says when its shell ends by itself (pure; no engine, no VS Code).
 *
 * The shell ends either because the user left it (`exit`): the container keeps running and the
 * terminal closes with the shell's exit code, as a local shell's terminal would; or because the
 * container stopped under it (Stop Container, its main process exiting): then the shell's code
 * (137 after a kill) is not the shell's failure, so the terminal stays open saying what happened
 * instead of closing with an "exit code 137" alert and no explanation.
 */

/** The container as inspected right after the shell ended. */
export interface ContainerAfterShell {
  /** `State.Running`; undefined when the container is gone (removed). */
  running: boolean | undefined;
  /** `State.ExitCode` when it stopped. */
  exitCode?: number;
}

/**
 * @param name the container's name as shown.
 * @param shellCode the exec's exit code (null when unknown).
 * @returns the terminal text (CRLF line ends) and whether to close the terminal, with which code.
 */
export function shellEnd(name: string, shellCode: number | null, container: ContainerAfterShell): { text: string; close: boolean; code?: number } {
  if (container.running) {
    return { text: `\r\n[shell exited${shellCode !== null ? ` with code ${shellCode}` : ''}; ${name} keeps running]\r\n`, close: true, code: shellCode ?? undefined };
  }
  const why = container.running === undefined ? `${name} was removed` : `${name} stopped${container.exitCode !== undefined ? ` (exit code ${container.exitCode})` : ''}`;
  return { text: `\r\n\x1b[2m[${why}: the shell ended with it; close this terminal]\x1b[0m\r\n`, close: false };
}
