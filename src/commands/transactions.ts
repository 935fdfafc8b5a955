/**
 * Throwaway containers in VS Code: "Run Transactions…" (a batch with a cancellable progress
 * notification and a report), "Run in Throwaway Container…" (one transaction, output in the Output
 * channel), "Check Isolation…", "Remove Orphaned Throwaway Containers", "Drain Warm Pools", and the
 * throwaway shell (see `shell.ts`). The sweep of orphans runs whenever the engine connects.
 *
 * Commands accept an argument so tests and other features can call them without prompts:
 * an Images-view item (`{ kind: 'image', node }`), an image reference string, or an options object
 * (see {@link RunTransactionsArgs}). They return their report (or undefined when the user cancelled
 * a prompt).
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { formatBatchMarkdown, formatBatchText, formatCommand, parseCommandInput, type BatchReport } from '../core/batch';
import { formatIsolationText, type IsolationReport } from '../core/isolation';
import { runBatch } from '../engine/batch';
import { checkIsolation } from '../engine/isolation';
import { currentOwner } from '../engine/owner';
import { WarmPool } from '../engine/pool';
import { sweepOrphans, type SweepReport } from '../engine/sweep';
import { listImageChoices, TransactionRunner, type TransactionResult } from '../engine/transaction';
import type { OwnerIdentity } from '../core/labels';
import type { Services } from '../services';
import { registerThrowawayShell } from './shell';
import { showReport } from '../views/reports';
import { askTransactions, describeRun, type TransactionAnswers } from './transactionPrompts';
import { RememberedAnswers } from './multiStep';
import { askNumber, engineProblem, pickImage, SECTION, securityFromSettings } from './throwawayInput';
import { countList, plural } from '../core/format';

/** The warm pools' idle drain from the setting `poolIdleMinutes` (default 5 minutes), ms; 0 = never. */
function idleDrainMs(): number {
  const minutes = vscode.workspace.getConfiguration(SECTION).get<number>('poolIdleMinutes', 5);
  return Number.isFinite(minutes) ? Math.max(0, minutes) * 60_000 : 5 * 60_000;
}

/** Arguments accepted by `containerLineage.transactions.run` instead of prompts. */
export interface RunTransactionsArgs {
  image: string;
  /** argv (exec form). */
  cmd: string[];
  count?: number;
  concurrency?: number;
  /** 0 = cold; K > 0 = warm pool of K (kept for later batches until drained). */
  poolSize?: number;
  /** Do not open the Markdown report (tests). */
  quiet?: boolean;
}

/** The throwaway-container state of one extension host: one owner identity, runners, pools. */
export class ThrowawayFeature implements vscode.Disposable {
  /** One owner (session) for the whole extension host; runners are per engine client. */
  readonly owner: OwnerIdentity = currentOwner();
  private readonly runners: TransactionRunner[] = [];
  private readonly pools = new Map<string, WarmPool>();
  readonly output: vscode.OutputChannel;
  readonly context: vscode.ExtensionContext;
  /** The Run Transactions answers, remembered per image. */
  readonly answers: RememberedAnswers<TransactionAnswers>;
  private disposing: Promise<void> | undefined;
  private readonly config: vscode.Disposable;

  constructor(private readonly services: Services) {
    this.context = services.context;
    this.output = vscode.window.createOutputChannel('Container Lineage: Transactions');
    this.answers = new RememberedAnswers(services.context.globalState, 'transactions');
    // A changed idle drain applies to the pools kept now, not only to the next one.
    this.config = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(`${SECTION}.poolIdleMinutes`)) return;
      for (const pool of this.pools.values()) pool.setIdleDrainMs(idleDrainMs());
    });
  }

  /**
   * The runner for the engine connected now (a new one after a reconnect, same session id).
   * @throws EngineUnavailableError when no engine is connected; Error while disposing.
   */
  runner(): TransactionRunner {
    if (this.disposing) throw new Error('Container Lineage is shutting down.');
    const docker = this.services.engine.docker();
    let r = this.runners.find((x) => x.docker === docker);
    if (!r) {
      r = new TransactionRunner(docker, { owner: this.owner });
      this.runners.push(r);
    }
    return r;
  }

  /** The kept warm pool for an image with K containers (recreated when K changed). */
  async pool(image: string, size: number): Promise<WarmPool> {
    const runner = this.runner();
    const existing = this.pools.get(image);
    if (existing && existing.options.size === size && existing.runner === runner && !existing.drained) return existing;
    if (existing) {
      this.pools.delete(image);
      await existing.drain();
    }
    const { security } = securityFromSettings();
    const pool: WarmPool = new WarmPool(runner, {
      image,
      size,
      security,
      idleDrainMs: idleDrainMs(),
      onIdleDrain: () => {
        if (this.pools.get(image) === pool) this.pools.delete(image);
        this.services.log.info(`warm pool ${image}: drained after ${plural(idleDrainMs() / 60_000, 'minute')} without a transaction (setting containerLineage.transactions.poolIdleMinutes)`);
      },
      onError: (m) => this.services.log.warn(`warm pool ${image}: ${m}`),
    });
    this.pools.set(image, pool);
    pool.start();
    return pool;
  }

  /** Drain every kept warm pool. */
  async drainPools(): Promise<number> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.drain()));
    return pools.length;
  }

  /** Sweep orphans of dead sessions; logs what it did. Never throws. */
  async sweep(): Promise<SweepReport | undefined> {
    let docker;
    try {
      docker = this.services.engine.docker();
    } catch {
      return undefined;
    }
    try {
      const report = await sweepOrphans(docker, this.owner);
      for (const c of report.removed) this.services.log.info(`sweep: removed orphaned throwaway container ${c.id.slice(0, 12)} (${c.kind}, owner pid ${c.ownerPid}: ${c.verdict.reason})`);
      for (const c of report.failed) this.services.log.warn(`sweep: could not remove ${c.id.slice(0, 12)}: ${c.error}`);
      return report;
    } catch (err) {
      this.services.log.warn(`sweep of orphaned throwaway containers failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Remove every container of this session (pools, transactions, shells). Idempotent. */
  shutdown(): Promise<void> {
    this.disposing ??= (async () => {
      await this.drainPools().catch(() => undefined);
      const problems = (await Promise.all(this.runners.map((r) => r.dispose()))).flat();
      for (const p of problems) this.services.log.warn(p);
    })();
    return this.disposing;
  }

  dispose(): void {
    void this.shutdown();
    this.config.dispose();
    this.output.dispose();
  }
}

/**
 * Run `task` under a cancellable progress notification; cancelling aborts the signal it gets.
 */
function withCancellableProgress<T>(title: string, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      return await task(progress, ac.signal);
    } finally {
      sub.dispose();
    }
  });
}

/** Show a batch report: Output channel, info message, Markdown document. */
async function showBatchReport(feature: ThrowawayFeature, report: BatchReport, quiet: boolean): Promise<void> {
  feature.output.appendLine(formatBatchText(report));
  if (quiet) return;
  const time = new Date().toLocaleTimeString(undefined, { hour12: false });
  await showReport(feature.context, `Transactions on ${report.image} ${time}`, formatBatchMarkdown(report));
  const p50 = report.phases.total.p50;
  const msg = `${report.completed}/${report.requested} transactions on ${report.image}${report.cancelled ? ' (cancelled)' : ''}: ${report.failures} failed, ${report.throughput.toFixed(2)}/s, total p50 ${Number.isFinite(p50) ? p50.toFixed(0) : '–'} ms.`;
  void vscode.window.showInformationMessage(msg, 'Show Output').then((c) => c && feature.output.show(true));
}

/** "Run Transactions…". */
async function runTransactionsCommand(feature: ThrowawayFeature, arg?: unknown): Promise<BatchReport | undefined> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const given = arg && typeof arg === 'object' && 'cmd' in (arg as object) ? (arg as RunTransactionsArgs) : undefined;
  let image: string | undefined;
  let cmd: string[];
  let count: number;
  let concurrency: number;
  let poolSize: number;
  if (given) {
    ({ image, cmd } = given);
    count = given.count ?? c.get<number>('count', 20);
    concurrency = given.concurrency ?? c.get<number>('concurrency', 4);
    poolSize = given.poolSize ?? 0;
  } else {
    const fromItem = await pickImage(feature, arg, 'Image to run transactions on', { ask: false });
    const answers = await askTransactions(feature.answers, fromItem, () => listImageChoices(feature.runner().docker)).catch((err: unknown) => {
      void vscode.window.showErrorMessage(`Cannot list images: ${engineProblem(err)}`);
      return undefined;
    });
    if (!answers) return undefined;
    ({ image, cmd, count, concurrency, poolSize } = answers);
  }
  const { security, timeoutMs } = securityFromSettings();
  const total = count;
  return withCancellableProgress(`Transactions on ${describeRun(image, cmd)}`, async (progress, signal) => {
    try {
      const runner = feature.runner();
      const pool = poolSize ? await feature.pool(image!, poolSize) : undefined;
      let poolFillMs: number | undefined;
      if (pool) {
        const filling = pool.idleCount < pool.options.size;
        const t0 = performance.now();
        progress.report({ message: `filling a warm pool of ${poolSize}…` });
        await Promise.race([pool.ready(), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
        if (filling) poolFillMs = performance.now() - t0;
      }
      let last = 0;
      const { report } = await runBatch(runner, {
        image: image!,
        cmd: cmd!,
        count: total,
        concurrency: concurrency!,
        pool,
        poolFillMs,
        security,
        timeoutMs,
        signal,
        onProgress: (done, n) => {
          const inc = ((done - last) / n) * 100;
          last = done;
          progress.report({ increment: inc, message: `${done}/${n}` });
        },
      });
      await showBatchReport(feature, report, !!given?.quiet);
      return report;
    } catch (err) {
      void vscode.window.showErrorMessage(`Transactions on ${image} failed: ${engineProblem(err)}`);
      return undefined;
    }
  });
}

/** "Run in Throwaway Container…": one transaction, output streamed into the Output channel. */
async function runOnceCommand(feature: ThrowawayFeature, arg?: unknown): Promise<TransactionResult | undefined> {
  const given = arg && typeof arg === 'object' && 'cmd' in (arg as object) ? (arg as { image: string; cmd: string[] }) : undefined;
  const image = given?.image ?? (await pickImage(feature, arg, 'Image to run the command in', { title: 'Run in Throwaway Container' }));
  if (!image) return undefined;
  let cmd = given?.cmd;
  if (!cmd) {
    const text = await vscode.window.showInputBox({ title: `Run in Throwaway Container: ${image}`, prompt: `Command to run once in a fresh ${image} container (/bin/sh -c; JSON array = exec form)` });
    cmd = text === undefined ? undefined : parseCommandInput(text);
  }
  if (!cmd) return undefined;
  const { security, timeoutMs } = securityFromSettings();
  const out = feature.output;
  out.show(true);
  out.appendLine(`$ [${image}] ${formatCommand(cmd)}`);
  return withCancellableProgress(`Running in a throwaway ${image} container`, async (_p, signal) => {
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const r = await feature.runner().run({
      image: image!,
      cmd: cmd!,
      security,
      timeoutMs,
      signal,
      collect: true,
      onOutput: (s, b) => out.append(decoders[s].decode(b, { stream: true })),
    });
    const t = r.timings;
    out.appendLine(
      `[${r.status}${r.exitCode !== null ? `, exit code ${r.exitCode}` : ''}] create ${t.create.toFixed(0)} ms, start ${t.start.toFixed(0)} ms, run ${t.run.toFixed(0)} ms, remove ${t.remove.toFixed(0)} ms, total ${t.total.toFixed(0)} ms${r.error ? ` — ${r.error}` : ''}`,
    );
    if (r.status === 'failed') void vscode.window.showErrorMessage(r.error ?? 'The transaction failed.');
    return r;
  });
}

/** "Check Isolation…". */
async function checkIsolationCommand(feature: ThrowawayFeature, arg?: unknown): Promise<IsolationReport | undefined> {
  const given = arg && typeof arg === 'object' && 'count' in (arg as object) ? (arg as { image: string; count: number; poolSize?: number; quiet?: boolean }) : undefined;
  const image = given?.image ?? (await pickImage(feature, arg, 'Image to check isolation on', { title: 'Check Isolation' }));
  if (!image) return undefined;
  const count = given?.count ?? (await askNumber('Transactions in the sequence (each checks the previous ones left nothing)', 20, 2, `Check Isolation on ${image}`));
  if (count === undefined) return undefined;
  const { security, timeoutMs } = securityFromSettings();
  return withCancellableProgress(`Isolation check on ${image}`, async (progress, signal) => {
    try {
      const report = await checkIsolation(feature.runner(), {
        image: image!,
        count,
        poolSize: given?.poolSize ?? 0,
        security,
        timeoutMs,
        signal,
        onStep: (s) => progress.report({ increment: 100 / count, message: `#${s.index + 1} ${s.passed ? 'passed' : 'FAILED'}` }),
      });
      feature.output.appendLine(formatIsolationText(report));
      if (!given?.quiet) {
        const show = 'Show Evidence';
        void (report.passed ? vscode.window.showInformationMessage(report.summary, show) : vscode.window.showErrorMessage(report.summary, show)).then((choice) => {
          if (choice === show) feature.output.show(true);
        });
      }
      return report;
    } catch (err) {
      void vscode.window.showErrorMessage(`Isolation check on ${image} failed to run: ${engineProblem(err)}`);
      return undefined;
    }
  });
}

let active: ThrowawayFeature | undefined;

/**
 * Remove every throwaway container of this extension host; awaited by `deactivate()` so nothing
 * is left behind on a normal shutdown (a crash is covered by the next activation's sweep).
 */
export function shutdownThrowaway(): Promise<void> {
  return active?.shutdown() ?? Promise.resolve();
}

/** Register the throwaway-container feature (commands, sweep on connect, shell, cleanup). */
export function registerThrowaway(services: Services): ThrowawayFeature {
  const feature = new ThrowawayFeature(services);
  active = feature;
  const { context, engine } = services;
  context.subscriptions.push(feature);
  const sweepIfConnected = () => {
    if (engine.state.kind === 'connected' && vscode.workspace.getConfiguration(SECTION).get<boolean>('sweepOnActivation', true)) void feature.sweep();
  };
  context.subscriptions.push(
    engine.onDidChangeState((s) => {
      if (s.kind === 'connected') sweepIfConnected();
    }),
    vscode.commands.registerCommand('containerLineage.transactions.run', (arg?: unknown) => runTransactionsCommand(feature, arg)),
    vscode.commands.registerCommand('containerLineage.transactions.runOnce', (arg?: unknown) => runOnceCommand(feature, arg)),
    vscode.commands.registerCommand('containerLineage.transactions.checkIsolation', (arg?: unknown) => checkIsolationCommand(feature, arg)),
    vscode.commands.registerCommand('containerLineage.transactions.sweep', async () => {
      const r = await feature.sweep();
      if (r) void vscode.window.showInformationMessage(`Removed ${plural(r.removed.length, 'orphaned throwaway container')}; kept ${countList([[r.kept.length, 'container']], 'none')} of live sessions.`);
      else void vscode.window.showWarningMessage('No container engine is connected.');
      return r;
    }),
    vscode.commands.registerCommand('containerLineage.transactions.drainPools', async () => {
      const n = await feature.drainPools();
      void vscode.window.showInformationMessage(n ? `Drained ${plural(n, 'warm pool')}.` : 'No warm pool was running.');
      return n;
    }),
  );
  registerThrowawayShell(services, feature);
  sweepIfConnected();
  return feature;
}
