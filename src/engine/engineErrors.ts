/**
 * What an engine error says: its HTTP status and its message (dockerode / docker-modem errors).
 * Used by every engine module that turns an engine failure into a result or a sentence.
 */

/** HTTP status of a dockerode/docker-modem error, if any. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Message of an engine error, without docker-modem's "(HTTP code 404) no such container -" prefix noise. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string } | null;
  return e?.json?.message ?? e?.message ?? String(err);
}
