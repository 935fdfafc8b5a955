/**
 * The gateway's isolation check on the real engine (`core/serveIsolation.ts` says what is
 * checked): a gateway with two sessions A and B logged in through HTTP, traces left and searched
 * with `exec` in each session's container, the next requests sent through the gateway with each
 * session's cookie. The gateway (and so both containers) is stopped before this returns. No `vscode` import.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import {
  findTracesScript,
  finishServeIsolation,
  judgeFindings,
  leaveTracesScript,
  parseFindings,
  parseLeft,
  type ServeIsolationCheck,
  type ServeIsolationReport,
} from '../../core/serveIsolation';
import { exitCodeOf } from '../pool';
import { drain, OutputCollector } from '../containerOutput';
import type { SecurityOptions } from '../security';
import type { TransactionRunner } from '../transaction';
import { timedGet } from './cost';
import { startLocalGateway } from './local';

/** Options of {@link checkServeIsolation}. */
export interface ServeIsolationOptions {
  image: string;
  containerPort: number;
  cmd?: string[];
  env?: string[];
  security?: Partial<SecurityOptions>;
  readyTimeoutMs?: number;
  /** Path requested (default '/'). */
  path?: string;
  sweepLabels?: string[];
}

/** Run `sh -c script` in a running container; resolves with its stdout and exit code. @throws the engine error. */
export async function execShell(docker: Docker, id: string, script: string): Promise<{ stdout: string; exitCode: number | null }> {
  const exec = await docker.getContainer(id).exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const collector = new OutputCollector(false, true);
  await drain(stream, collector);
  return { stdout: collector.finish().stdout, exitCode: await exitCodeOf(exec) };
}

/**
 * Run the check. Needs `sh`, `tr`, `grep` and `sleep` in the image (busybox has them).
 * @throws Error when a login fails (the gateway's message) or an exec cannot run.
 */
export async function checkServeIsolation(runner: TransactionRunner, o: ServeIsolationOptions): Promise<ServeIsolationReport> {
  const path = o.path ?? '/';
  const gw = await startLocalGateway(runner, { ...o, limits: { maxSessions: 2, idleMs: 0 }, sweepLabels: o.sweepLabels });
  try {
    const [a, b] = await Promise.all([timedGet('127.0.0.1', gw.port, path), timedGet('127.0.0.1', gw.port, path)]);
    const cookie = { A: a.setCookie ?? '', B: b.setCookie ?? '' };
    const session = { A: gw.sessionOf(cookie.A), B: gw.sessionOf(cookie.B) };
    if (!session.A || !session.B) throw new Error('the gateway did not give both logins a session');
    const container = { A: session.A.target.containerId, B: session.B.target.containerId };
    const token = { A: `a${randomBytes(6).toString('hex')}`, B: `b${randomBytes(6).toString('hex')}` };
    const checks: ServeIsolationCheck[] = [];
    for (const who of ['A', 'B'] as const) {
      const left = parseLeft((await execShell(runner.docker, container[who], leaveTracesScript(token[who]))).stdout);
      checks.push({
        name: `${who} left a marker file, an environment value and a background process`,
        expected: 'present',
        passed: left.marker && left.env && left.process,
        observed: `marker ${left.marker ? 'written' : 'NOT written'}, environment ${left.env ? 'exported to the profile' : 'NOT written'}, background process ${left.process ? 'started' : 'NOT started'}`,
      });
    }
    for (const [viewer, owner] of [['B', 'A'], ['A', 'B']] as const) {
      checks.push(...judgeFindings(owner, viewer, token[owner], parseFindings((await execShell(runner.docker, container[viewer], findTracesScript(token[owner]))).stdout)));
    }
    for (const who of ['A', 'B'] as const) {
      const before = gw.sessionOf(cookie[who])?.requests ?? 0;
      await timedGet('127.0.0.1', gw.port, path, cookie[who]);
      const after = gw.sessionOf(cookie[who]);
      checks.push({
        name: `${who}'s next request reaches ${who}'s container`,
        expected: 'present',
        passed: after?.target.containerId === container[who] && after.requests === before + 1,
        observed: after ? `served by ${after.target.containerName} (request ${after.requests})` : 'the session is gone',
      });
      checks.push(...judgeFindings(who, who, token[who], parseFindings((await execShell(runner.docker, container[who], findTracesScript(token[who]))).stdout)));
    }
    return finishServeIsolation(o.image, { A: { id: session.A.id, container: session.A.target.containerName }, B: { id: session.B.id, container: session.B.target.containerName } }, checks);
  } finally {
    await gw.stop();
  }
}
