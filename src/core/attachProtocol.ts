/**
 * The in-band protocol of an attached warm-pool container (pure; no engine, no `vscode`).
 *
 * A pooled container runs {@link ATTACHED_POOL_SCRIPT} with its stdin attached (OpenStdin +
 * StdinOnce, attached before start). The script waits on `read` until its one transaction arrives:
 * a first line with a fresh random token, then the command as a shell program ({@link commandScript},
 * every argument single-quoted, so nothing is re-interpreted), then the token again on a line of its
 * own. It runs the program in a subshell with stdin from /dev/null (the command is `exec`'d there,
 * so it runs without a shell in between, as an exec would), then writes the marker
 * `\x01CLDONE<token>:<exit code>\n` on stdout AND on stderr and exits. The reader
 * ({@link MarkerScanner}, one per stream) knows the transaction is over, and its exit status, when
 * both markers arrived: stdout and stderr are separate pipes, so each stream is complete only at
 * its own marker. No wait/inspect round trip is needed.
 *
 * A token is a fresh random per transaction, sent only over stdin (not in the container's command
 * line or environment), so output of the command cannot end the transaction early by accident.
 * Why a hand-written shell protocol: no library does "run one command in an already-started
 * container and learn its status in-band"; the pieces are POSIX sh (`read -r`, `eval`, `printf`),
 * checked on busybox ash, dash and bash.
 */

/** The pooled container's program (`sh -c`): read one transaction, run it, write the markers, exit. */
export const ATTACHED_POOL_SCRIPT = [
  'IFS= read -r t || exit 0',
  'c=',
  'while IFS= read -r l; do [ "$l" = "$t" ] && break; c="$c$l',
  '"; done',
  '(eval "$c") </dev/null',
  's=$?',
  `printf '\\001CLDONE%s:%d\\n' "$t" "$s"`,
  `printf '\\001CLDONE%s:%d\\n' "$t" "$s" >&2`,
].join('\n');

/** Single-quote one word for POSIX sh (`'` becomes `'\''`). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell program a pooled container runs for one transaction: exports, the working directory,
 * then `exec` of the argv (every word quoted).
 * @param cmd argv, at least one word.
 * @param env `NAME=value` entries (as an exec's `Env`).
 * @param workingDir directory to run in (as an exec's `WorkingDir`); exit 126 when `cd` fails.
 * @throws RangeError for an empty argv or an environment entry without `NAME=`.
 */
export function commandScript(cmd: readonly string[], env: readonly string[] = [], workingDir?: string): string {
  if (cmd.length === 0) throw new RangeError('a transaction needs a command');
  const lines: string[] = [];
  for (const e of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new RangeError(`environment entry "${e}" is not NAME=value`);
    lines.push(`export ${shellQuote(e)}`);
  }
  if (workingDir) lines.push(`cd ${shellQuote(workingDir)} || exit 126`);
  lines.push(`exec ${cmd.map(shellQuote).join(' ')}`);
  return lines.join('\n');
}

/**
 * What is written to the container's stdin for one transaction: token line, program, token line.
 * @param token the transaction's random token (hex). The program ends at the first line equal to
 *   it; an argument containing newlines could only end it early by containing that exact line, and
 *   the token is drawn fresh (64 random bits) after the command is fixed.
 * @throws RangeError for a token that is not 8+ lowercase hex digits.
 */
export function transactionInput(token: string, script: string): string {
  if (!/^[0-9a-f]{8,}$/.test(token)) throw new RangeError('the token must be 8 or more lowercase hex digits');
  return `${token}\n${script}\n${token}\n`;
}

/** The marker prefix for a token (followed by the exit code digits and `\n`). */
export function markerPrefix(token: string): string {
  return `\x01CLDONE${token}:`;
}

/**
 * Finds the end marker in one output stream, passing the bytes before it through unchanged and
 * holding back only bytes that could be the start of the marker. Bytes after the marker (a
 * background process the command left behind) are dropped.
 */
export class MarkerScanner {
  private readonly prefix: Buffer;
  private pending: Buffer = Buffer.alloc(0);
  private code: number | undefined;

  /**
   * @param token the transaction's token.
   * @param sink called with output bytes that are the command's (never part of the marker).
   */
  constructor(
    token: string,
    private readonly sink: (bytes: Buffer) => void,
  ) {
    this.prefix = Buffer.from(markerPrefix(token), 'latin1');
  }

  /** The exit code once the marker was read, else undefined. */
  get exitCode(): number | undefined {
    return this.code;
  }

  /** True once the marker was read. */
  get done(): boolean {
    return this.code !== undefined;
  }

  /** Consume one chunk of this stream. */
  push(chunk: Buffer): void {
    if (this.done) return;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const at = data.indexOf(this.prefix);
    if (at >= 0) {
      const nl = data.indexOf(0x0a, at + this.prefix.length);
      if (nl < 0) {
        if (at > 0) this.sink(data.subarray(0, at));
        this.pending = Buffer.from(data.subarray(at));
        return;
      }
      if (at > 0) this.sink(data.subarray(0, at));
      const digits = data.subarray(at + this.prefix.length, nl).toString('latin1');
      this.code = /^\d+$/.test(digits) ? Number(digits) : 255;
      this.pending = Buffer.alloc(0);
      return;
    }
    // Hold back the longest tail that is a start of the marker.
    let keep = Math.min(this.prefix.length - 1, data.length);
    while (keep > 0 && !data.subarray(data.length - keep).equals(this.prefix.subarray(0, keep))) keep--;
    if (data.length - keep > 0) this.sink(data.subarray(0, data.length - keep));
    this.pending = keep ? Buffer.from(data.subarray(data.length - keep)) : Buffer.alloc(0);
  }

  /** The stream ended without a marker: release what was held back. */
  flush(): void {
    if (!this.done && this.pending.length) this.sink(this.pending);
    this.pending = Buffer.alloc(0);
  }
}
