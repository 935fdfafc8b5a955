/**
 * The measuring client of the gateway cost measurement, on a worker thread or in a process of its
 * own: the requests of the simulated users are sent and timed on their own event loop, so the
 * gateway (on the main thread, where it runs in the extension host or the CLI) does not share one
 * with them — as with real users, whose browsers are other processes. Without it, the client's
 * work would be counted as gateway overhead. The code is inline (`eval` / `node -e`), so the
 * bundles need no extra file.
 *
 * `mode: 'process'` (the benchmark) runs it in a child node process in a session of its own
 * (`detached`, setsid): Linux's scheduler shares CPU between sessions (autogroups), so on a busy
 * machine a worker thread takes its CPU from the gateway's share, while the engine's port
 * publisher on the direct route runs in the engine's session. A process needs a plain node
 * binary (`process.execPath`), which the extension host does not promise; the worker thread is the
 * default there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';

/** One GET. */
export interface LoadRequest {
  host: string;
  port: number;
  path: string;
  cookie?: string;
  /**
   * The simulated user sending it: requests of one user share a keep-alive connection pool, as a
   * browser's do (a server that answers `Connection: close` still gets a new connection each
   * time). Without a user, every request opens its own connection.
   */
  user?: string;
}

/** Its outcome: ms to the end of the body, or the error. */
export interface LoadResult {
  ms: number;
  status: number;
  /** The first Set-Cookie's `name=value`. */
  setCookie?: string;
  body: string;
  error?: string;
}

// Runs inside the worker: plain JavaScript (no TypeScript helpers exist there).
const WORKER = `
const http = require('node:http');
const parentPort = require('node:worker_threads').parentPort || { on: (e, f) => process.on(e, f), postMessage: (m) => process.send(m) };
if (!require('node:worker_threads').parentPort) process.on('disconnect', () => process.exit(0));
const { performance } = require('node:perf_hooks');
const agents = new Map();
function agentOf(user) {
  if (user === undefined) return false;
  if (!agents.has(user)) agents.set(user, new http.Agent({ keepAlive: true, maxSockets: 6 }));
  return agents.get(user);
}
function get(r) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: r.host, port: r.port, path: r.path, agent: agentOf(r.user), headers: r.cookie ? { cookie: r.cookie } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const set = [].concat(res.headers['set-cookie'] || [])[0];
        resolve({ ms: performance.now() - t0, status: res.statusCode || 0, setCookie: set ? set.split(';')[0] : undefined, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => resolve({ ms: performance.now() - t0, status: 0, body: '', error: String(e.message || e) }));
    });
    req.on('error', (e) => resolve({ ms: performance.now() - t0, status: 0, body: '', error: String(e.message || e) }));
  });
}
parentPort.on('message', async (m) => {
  const results = await Promise.all(m.plan.map(async (sequence) => {
    const out = [];
    for (const r of sequence) out.push(await get(r));
    return out;
  }));
  parentPort.postMessage({ id: m.id, results });
});
`;

/** Where the client runs: a worker thread of this process (default) or a child process. */
export type LoadClientMode = 'thread' | 'process';

/** A worker thread (or child process) that sends timed GETs. Call {@link close} when done. */
export class LoadClient {
  private readonly worker: Worker | undefined;
  private readonly child: ChildProcess | undefined;
  private next = 0;
  private readonly pending = new Map<number, (r: LoadResult[][]) => void>();

  /** @param mode see the file comment (default 'thread'). */
  constructor(readonly mode: LoadClientMode = 'thread') {
    const onMessage = (m: { id: number; results: LoadResult[][] }) => {
      this.pending.get(m.id)?.(m.results);
      this.pending.delete(m.id);
    };
    if (mode === 'process') {
      this.child = spawn(process.execPath, ['-e', WORKER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], detached: true });
      this.child.on('message', onMessage);
      // Kept referenced: a pending run must keep this process alive (close() ends the child).
    } else {
      this.worker = new Worker(WORKER, { eval: true });
      this.worker.on('message', onMessage);
      this.worker.unref();
    }
  }

  /**
   * Run `plan`: its sequences at the same time, the requests of one sequence one after another.
   * @returns the results in the plan's shape. Never rejects for a failed request (see `error`).
   */
  run(plan: LoadRequest[][]): Promise<LoadResult[][]> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.child) this.child.send({ id, plan });
      else this.worker!.postMessage({ id, plan });
    });
  }

  /**
   * Send `requests` at the same time.
   * @throws Error naming the first that failed or answered ≥ 400 (with the start of its body).
   */
  async all(requests: LoadRequest[]): Promise<LoadResult[]> {
    const results = (await this.run(requests.map((r) => [r]))).map((s) => s[0]);
    results.forEach((r, i) => {
      if (r.error || r.status >= 400) throw new Error(`GET ${requests[i].host}:${requests[i].port}${requests[i].path}: ${r.error ?? `HTTP ${r.status}: ${r.body.slice(0, 200)}`}`);
    });
    return results;
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate();
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child!.once('exit', () => r()));
      this.child.kill();
      await exited;
    }
  }
}
