/**
 * One timed repetition of the overhead experiment (`overhead.ts`): a command on the host (a child
 * process) or exec'd in a running container, wall-clock ms; finding the host's busybox (the host
 * side of the built-in workloads); and the experiment's cancellation ({@link Cancelled},
 * {@link abortable}).
 */
import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { drain, OutputCollector } from './containerOutput';

/** Thrown (or rejected with) when the experiment's AbortSignal aborted. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Reject with Cancelled when `signal` aborts; the underlying promise's failure is swallowed. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new Cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/**
 * Find the host's busybox (the same static binary the busybox base image is made from).
 * @throws Error with an install hint when none is found.
 */
export function findHostBusybox(preferred?: string): string {
  const candidates = [preferred, ...(process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'busybox')), '/bin/busybox', '/usr/bin/busybox'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error('The host side of built-in workloads runs busybox, which is not installed: install it (Debian: apt-get install busybox-static) or use --workload custom with --host-cmd.');
}
/** Output (stdout + stderr, UTF-8) and wall time (ms) of one run. */
export interface HostRun {
  output: string;
  wallMs: number;
}

/** Spawn argv on the host, collect stdout+stderr; wall ms from spawn to exit. @throws on non-zero exit. */
export function runHost(argv: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<HostRun> {
  return new Promise<HostRun>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], signal });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => reject(signal?.aborted ? new Cancelled() : new Error(`host command ${argv[0]} failed to start: ${err.message}`)));
    child.on('close', (code, sig) => {
      const wallMs = performance.now() - t0;
      const output = Buffer.concat(chunks).toString('utf8');
      if (signal?.aborted) return reject(new Cancelled());
      if (code !== 0) return reject(new Error(`host command exited with ${code ?? sig}: ${output.slice(-300)}`));
      resolve({ output, wallMs });
    });
  });
}

/** Exec argv in a running container; wall ms from exec create to exit code known. @throws on non-zero exit. */
export async function execIn(docker: Docker, id: string, argv: string[], env: string[]): Promise<HostRun & { exitCode: number }> {
  const t0 = performance.now();
  const exec = await docker.getContainer(id).exec({ Cmd: argv, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
  const collector = new OutputCollector(false, true);
  await drain(stream, collector);
  const info = await exec.inspect();
  const wallMs = performance.now() - t0;
  const text = collector.finish();
  const exitCode = info.ExitCode ?? -1;
  return { output: text.stdout + text.stderr, wallMs, exitCode };
}
