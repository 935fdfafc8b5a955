/**
 * "Its port answers": poll a container's HTTP port until any HTTP response arrives. A TCP
 * connect is not enough: the engine's port publisher (docker-proxy) accepts connections on the
 * published port before the process inside listens, then drops them.
 */
import * as http from 'node:http';

/** Options of {@link waitForHttp}. */
export interface ReadinessOptions {
  /** Give up after this many ms. */
  timeoutMs: number;
  /** Path requested (default '/'). */
  path?: string;
  signal?: AbortSignal;
  /** Resolves when the container has stopped (its exit wins over the timeout). */
  exited?: Promise<unknown>;
}

/** One GET; resolves with the status, rejects on a connection error or after `timeoutMs`. */
export function probeOnce(host: string, port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'container-lineage-readiness' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Poll until the port answers HTTP (any status), backing off from 10 ms to 100 ms (the same
 * schedule as bench/serve.ts uses for its `docker run` baseline).
 * @returns ms waited.
 * @throws Error 'not-ready' (with the last connection error) after `timeoutMs`, 'exited' when
 *   `exited` resolved first, 'cancelled' when the signal aborted.
 */
export async function waitForHttp(host: string, port: number, o: ReadinessOptions): Promise<number> {
  const t0 = Date.now();
  let exited = false;
  void o.exited?.then(() => (exited = true), () => undefined);
  let last = 'no attempt';
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { reason: 'cancelled' as const });
    if (exited) throw Object.assign(new Error('the container stopped before its port answered'), { reason: 'exited' as const });
    const left = o.timeoutMs - (Date.now() - t0);
    if (left <= 0) throw Object.assign(new Error(`its port did not answer HTTP within ${(o.timeoutMs / 1000).toFixed(1)} s (last: ${last})`), { reason: 'not-ready' as const });
    try {
      await probeOnce(host, port, o.path ?? '/', Math.min(1000, left));
      return Date.now() - t0;
    } catch (err) {
      last = (err as Error).message || String(err);
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, o.timeoutMs - (Date.now() - t0)))));
  }
}
