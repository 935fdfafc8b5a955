/**
 * Shared option parsing and engine setup for the throwaway-container subcommands (`run`,
 * `transactions`). Options before `--` are ours; everything after is the command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connectCli } from './connect';
import { plural } from '../core/format';
import { currentOwner } from '../engine/owner';
import { sweepOrphans } from '../engine/sweep';
import type { SecurityOptions } from '../engine/security';
import { TransactionRunner } from '../engine/transaction';

/** Options shared by `run` and `transactions` (security overrides and the timeout). */
export const COMMON_OPTIONS = {
  timeout: { type: 'string' },
  network: { type: 'string' },
  memory: { type: 'string' },
  pids: { type: 'string' },
  'writable-rootfs': { type: 'boolean' },
  'keep-capabilities': { type: 'boolean' },
  'allow-new-privileges': { type: 'boolean' },
  env: { type: 'string', short: 'e', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_USAGE = `  --timeout S              kill and remove after S seconds (default 60; 0 = none)
  -e, --env NAME=VALUE     environment variable (repeatable)
  --network MODE           network mode (default none; disabled = none without the engine's
                           network setup: faster cold starts, localhost unresolved)
  --memory MIB             memory limit in MiB (default 256; 0 = none)
  --pids N                 process limit (default 128; 0 = none)
  --writable-rootfs        do not mount the root filesystem read-only
  --keep-capabilities      do not drop all capabilities
  --allow-new-privileges   do not set no-new-privileges
`;

/** Thrown for bad usage (exit code 2). */
export class UsageError extends Error {}

/**
 * Split the arguments into our options and the command. With a `--`, everything before it is ours
 * (options may follow the image: `IMAGE -n 5 -- CMD`). Without one, our options end at the first
 * positional (the image) and everything after it is the command, as with `docker run`
 * (`run busybox ls -la` works).
 * @param valueOptions names of our options that take a value (long names without dashes, short letters).
 */
export function splitCommandLine(args: string[], valueOptions: ReadonlySet<string>): { ours: string[]; cmd: string[] | undefined } {
  const dd = args.indexOf('--');
  if (dd >= 0) return { ours: args.slice(0, dd), cmd: args.slice(dd + 1) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      if (!a.includes('=') && valueOptions.has(a.slice(2))) i++;
    } else if (a.startsWith('-') && a.length > 1) {
      if (a.length === 2 && valueOptions.has(a.slice(1))) i++;
    } else {
      return { ours: args.slice(0, i + 1), cmd: args.slice(i + 1) };
    }
  }
  return { ours: args, cmd: undefined };
}

/** Names (long and short) of options that take a value, from a parseArgs option table. */
export function valueOptionNames(table: OptionTable): Set<string> {
  const names = new Set<string>();
  for (const [name, o] of Object.entries(table)) {
    if (o.type === 'string') {
      names.add(name);
      if (o.short) names.add(o.short);
    }
  }
  return names;
}

/** Parse a non-negative number option. @throws UsageError */
export function numberOption(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} needs a ${integer ? 'whole ' : ''}number ≥ 0, got "${value}"`);
  }
  return n;
}

/** Security overrides and timeout (ms) from parsed common options. @throws UsageError */
export function securityFrom(values: Record<string, unknown>): { security: Partial<SecurityOptions>; timeoutMs: number; env: string[] | undefined } {
  const security: Partial<SecurityOptions> = {};
  if (typeof values.network === 'string') security.network = values.network;
  if (values.memory !== undefined) security.memoryBytes = numberOption('memory', values.memory as string, 256) * 1024 * 1024;
  if (values.pids !== undefined) security.pidsLimit = numberOption('pids', values.pids as string, 128);
  if (values['writable-rootfs']) security.readOnlyRootfs = false;
  if (values['keep-capabilities']) security.dropAllCapabilities = false;
  if (values['allow-new-privileges']) security.noNewPrivileges = false;
  const timeoutMs = numberOption('timeout', values.timeout as string | undefined, 60, false) * 1000;
  const env = values.env as string[] | undefined;
  for (const e of env ?? []) if (!/^[^=]+=/.test(e)) throw new UsageError(`--env needs NAME=VALUE, got "${e}"`);
  return { security, timeoutMs, env };
}

/** A parseArgs option table. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: values by long name, and positionals. */
export interface ParsedOptions {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

/** Parse our part of the arguments with the common options plus `extra`. @throws UsageError on unknown options. */
export function parseOurs(ours: string[], extra: OptionTable): ParsedOptions {
  try {
    const r = parseArgs({ args: ours, options: { ...COMMON_OPTIONS, ...extra }, allowPositionals: true, strict: true });
    return { values: r.values as ParsedOptions['values'], positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Connect to the engine (like the extension: CONTAINER_LINEAGE_ENGINE_HOST, DOCKER_HOST, context,
 * sockets), sweep orphans of dead processes, and make a runner for this process.
 * @returns undefined (after printing what was tried) when no engine answers.
 */
export async function openRunner(command: string, log: (line: string) => void): Promise<{ runner: TransactionRunner; close: () => Promise<void> } | undefined> {
  const engine = await connectCli(command, (text) => log(text.replace(/\n$/, '')));
  if (!engine) return undefined;
  const docker = engine.docker();
  const owner = currentOwner();
  try {
    const swept = await sweepOrphans(docker, owner);
    if (swept.removed.length) log(`removed ${plural(swept.removed.length, 'orphaned throwaway container')} left by processes that are gone`);
  } catch (err) {
    log(`sweep of orphaned throwaway containers failed: ${(err as Error).message}`);
  }
  const runner = new TransactionRunner(docker, { owner });
  return {
    runner,
    close: async () => {
      const problems = await runner.dispose();
      for (const p of problems) log(p);
      engine.dispose();
    },
  };
}

/**
 * Abort `controller` on SIGINT/SIGTERM (first signal: cancel and clean up; second: exit at once,
 * leaving cleanup to the next sweep). Returns a function removing the handlers.
 */
/**
 * Writes a usage error the same way for every throwaway subcommand: the message prefixed with
 * the command, then the usage text, on standard error.
 * @returns the exit code for bad usage (2) when `e` is a {@link UsageError}.
 * @throws `e` itself when it is anything else.
 */
export function usageErrorExit(command: string, usage: string, e: unknown): number {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`container-lineage ${command}: ${e.message}\n${usage}`);
  return 2;
}

/**
 * Abort `controller` on the first SIGINT/SIGTERM (saying what cancelling does), exit 130 on the second.
 * @returns a function that removes the handlers.
 */
export function abortOnSignals(controller: AbortController, log: (line: string) => void, doing = 'removing containers'): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log(`${sig}: cancelling, ${doing}… (again to exit at once)`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
