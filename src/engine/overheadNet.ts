/**
 * The network echo probes of the overhead experiment's `net` workload: a free local port, timed
 * request/response round trips to an echo server (netperf TCP_RR style), waiting until a server
 * answers, and the busybox echo server's command line.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Cancelled } from './overheadRuns';

/** Pick a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Open one TCP connection to an echo server and time `k` request/response round trips of
 * `bytes` bytes each (netperf TCP_RR style). Resolves with the round-trip times in ms.
 * @throws Error when the connection fails, closes early, or a round trip takes over `timeoutMs`.
 */
export function echoRoundTrips(host: string, port: number, k: number, bytes = 32, timeoutMs = 5000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.alloc(bytes, 0x78);
    const times: number[] = [];
    let pending = 0;
    let t0 = 0;
    let timer: NodeJS.Timeout | undefined;
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const fail = (err: Error) => {
      if (timer) clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const next = () => {
      if (timer) clearTimeout(timer);
      if (times.length === k) {
        sock.end();
        sock.destroy();
        return resolve(times);
      }
      timer = setTimeout(() => fail(new Error(`no echo from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      pending = bytes;
      t0 = performance.now();
      sock.write(payload);
    };
    sock.on('connect', next);
    sock.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending <= 0 && t0 > 0) {
        times.push(performance.now() - t0);
        t0 = 0;
        next();
      }
    });
    sock.on('error', fail);
    sock.on('close', () => {
      if (times.length < k) fail(new Error(`the echo server at ${host}:${port} closed the connection`));
    });
  });
}

/**
 * Poll until the echo server answers one round trip (up to `ms`).
 * @throws Cancelled when `signal` aborts; Error when the server did not answer within `ms`.
 */
export async function waitForEcho(host: string, port: number, ms = 10000, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (signal?.aborted) throw new Cancelled();
    try {
      await echoRoundTrips(host, port, 1, 1, 1000);
      return;
    } catch (err) {
      if (Date.now() > end) throw new Error(`the busybox echo server did not answer on ${host}:${port}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Echo server: busybox nc, persistent listener, one `cat` per connection (binds all addresses). */
export const ECHO_SERVER = (port: number) => ['nc', '-ll', '-p', String(port), '-e', 'cat'];
