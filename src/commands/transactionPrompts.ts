/**
 * The prompts of "Run Transactions…" as one titled multi-step input: image (when not given),
 * command, N, concurrency, cold or warm pool, and the pool size (default: the concurrency), with
 * Back and the previous answers remembered per image.
 */
import * as vscode from 'vscode';
import { formatCommand, parseCommandInput } from '../core/batch';
import { formatBytes } from '../core/format';
import { shortId } from '../core/lineage';
import type { ImageChoice } from '../engine/transaction';
import { RememberedAnswers, runSteps, wholeNumberAtLeast, type Step } from './multiStep';

/** What the prompts produce (and what is remembered per image). */
export interface TransactionAnswers {
  /** The command as typed (shell form, or a JSON array for the exec form). */
  command: string;
  count: number;
  concurrency: number;
  mode: 'cold' | 'warm';
  /** Warm pool size (used when mode is warm). */
  poolSize: number;
}

interface State extends TransactionAnswers {
  image: string;
}

/** Defaults from the settings (`containerLineage.transactions.*`). */
function defaults(): TransactionAnswers {
  const c = vscode.workspace.getConfiguration('containerLineage.transactions');
  const concurrency = c.get<number>('concurrency', 4);
  const poolSize = c.get<number>('poolSize', 0);
  return { command: c.get<string>('command', 'true'), count: c.get<number>('count', 20), concurrency, mode: poolSize > 0 ? 'warm' : 'cold', poolSize: Math.max(poolSize, concurrency) };
}

/**
 * Ask for a batch of transactions.
 * @param image the image when the command was started on one; otherwise the first step picks it.
 * @param images lists the local images for that pick (called only when needed).
 * @returns the image, argv and numbers, or undefined when cancelled.
 */
export async function askTransactions(
  remembered: RememberedAnswers<TransactionAnswers>,
  image: string | undefined,
  images: () => Promise<ImageChoice[]>,
): Promise<{ image: string; cmd: string[]; count: number; concurrency: number; poolSize: number } | undefined> {
  const base = defaults();
  const state: State = { image: image ?? '', ...base, ...(image ? remembered.get(image) : {}) };
  const steps: Step<State>[] = [];
  if (!image) {
    steps.push({
      kind: 'pick',
      placeholder: () => 'Image to run transactions on',
      choices: async () =>
        (await images()).map((c) => ({
          label: c.reference,
          description: `${shortId(c.id)} · ${formatBytes(c.size)} total`,
          current: c.reference === state.image,
          apply: (s: State) => {
            if (s.image !== c.reference) Object.assign(s, base, remembered.get(c.reference));
            s.image = c.reference;
          },
        })),
    });
  }
  steps.push(
    {
      kind: 'input',
      prompt: (s) => `Command for each transaction in ${s.image}: runs with /bin/sh -c; a JSON array such as ["echo","hi"] runs without a shell`,
      value: (s) => s.command,
      validate: (v) => (parseCommandInput(v) ? undefined : 'Enter a command, e.g. echo hello.'),
      apply: (v, s) => (s.command = v.trim()),
    },
    {
      kind: 'input',
      prompt: () => 'Number of transactions (N): each gets a fresh container, destroyed afterwards',
      value: (s) => String(s.count),
      validate: wholeNumberAtLeast(1),
      apply: (v, s) => (s.count = Number(v.trim())),
    },
    {
      kind: 'input',
      prompt: () => 'Concurrency (C): transactions running at the same time',
      value: (s) => String(s.concurrency),
      validate: wholeNumberAtLeast(1),
      apply: (v, s) => {
        const c = Number(v.trim());
        // The pool follows the concurrency unless it was set apart from it.
        if (s.poolSize === s.concurrency || s.poolSize < c) s.poolSize = c;
        s.concurrency = c;
      },
    },
    {
      kind: 'pick',
      placeholder: () => 'How each transaction gets its fresh container',
      choices: (s) => [
        { label: 'Cold', description: 'a container created and started for each transaction', current: s.mode === 'cold', apply: (x: State) => void (x.mode = 'cold') },
        { label: 'Warm pool', description: 'containers started ahead of time; each serves one transaction, then is destroyed', current: s.mode === 'warm', apply: (x: State) => void (x.mode = 'warm') },
      ],
    },
    {
      kind: 'input',
      skip: (s) => s.mode !== 'warm',
      prompt: (s) => `Warm pool size: containers kept started ahead of time (default the concurrency, ${s.concurrency}; fewer makes transactions wait for a refill)`,
      value: (s) => String(s.poolSize || s.concurrency),
      validate: wholeNumberAtLeast(1),
      apply: (v, s) => (s.poolSize = Number(v.trim())),
    },
  );
  const done = await runSteps((s) => (s.image ? `Run Transactions on ${s.image}` : 'Run Transactions'), steps, state);
  if (!done) return undefined;
  const cmd = parseCommandInput(done.command)!;
  const { image: img, command, count, concurrency, mode, poolSize } = done;
  await remembered.set(img, { command, count, concurrency, mode, poolSize });
  return { image: img, cmd, count, concurrency, poolSize: mode === 'warm' ? poolSize : 0 };
}

/** One line naming what will run, for progress titles. */
export function describeRun(image: string, cmd: string[]): string {
  return `${image}: ${formatCommand(cmd)}`;
}
