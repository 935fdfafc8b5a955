/**
 * `container-lineage serve IMAGE --container-port PORT [options] [-- CMD…]`: a local HTTP gateway
 * on 127.0.0.1 that gives every login (a request without a valid session cookie) a fresh private
 * container of IMAGE, until Ctrl-C. `--measure` prints what that costs instead; `--isolation` runs
 * the two-session isolation check.
 * Exit codes: 0 stopped by Ctrl-C/SIGTERM with everything removed (measure: done; isolation:
 * passed); 3 isolation failed; 1 no engine, the gateway could not start, or a measurement failed;
 * 2 bad usage.
 */
import { formatServeCostText } from '../core/serveCost';
import { formatServeIsolationText } from '../core/serveIsolation';
import type { EvictionPolicy } from '../core/sessions';
import { measureServeCost } from '../engine/serve/cost';
import { checkServeIsolation } from '../engine/serve/isolation';
import { startLocalGateway } from '../engine/serve/local';
import { numberOption, openRunner, parseOurs, securityFrom, UsageError, usageErrorExit } from './throwaway-options';

const USAGE = `usage: container-lineage serve IMAGE --container-port PORT [--port P] [--idle SECONDS] [--max N]
                             [--pool K] [--logout PATH] [--evict reject|lru] [options] [-- CMD…]
       container-lineage serve IMAGE --container-port PORT --measure [-n SESSIONS] [--requests R] [--path PATH] [--json]
       container-lineage serve IMAGE --container-port PORT --isolation [--path PATH] [--json]
  Serves IMAGE on http://127.0.0.1:P/ with one private container per session: a request without a
  valid session cookie starts a fresh container (from a warm pool with --pool), waits until
  PORT answers, sets a session cookie (HttpOnly, SameSite=Strict) and proxies to that container;
  the session's later requests (and WebSocket upgrades) reach that container only. The logout
  path, the idle timeout, eviction at the session limit and Ctrl-C destroy the containers.
  --container-port PORT    port the image's server listens on (required)
  --port P                 gateway port on 127.0.0.1 (default 0: any free port)
  --idle SECONDS           end a session after this long without a request (default 900; 0 = never)
  --max N                  sessions at most (default 20); at the limit a login gets 503 + Retry-After
  --evict reject|lru       at the limit: refuse (default) or end the least recently used idle session
  --pool K                 keep K started containers ready for logins (default 0)
  --logout PATH            logout path (default /_logout)
  --ready-timeout S        a login fails with 502 when PORT has not answered within S s (default 30)
  --measure                measure login and per-request costs with N concurrent sessions (-n, default 20)
  --requests R             requests per session for --measure (default 10)
  --isolation              check that two sessions see nothing of each other
  --path PATH              path requested by --measure and --isolation (default /)
  --json                   print the --measure or --isolation report as JSON
  --timeout S, -e, --memory, --pids, --writable-rootfs, --keep-capabilities, --allow-new-privileges
                           as for \`run\` (hardening of the session containers; --network is not
                           accepted: sessions always get the gateway's private network)
`;

/** Run the subcommand; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const dd = args.indexOf('--');
  const ours = dd < 0 ? args : args.slice(0, dd);
  const cmd = dd < 0 ? undefined : args.slice(dd + 1);
  let parsed;
  let image: string;
  let containerPort: number;
  let opts;
  let eviction: EvictionPolicy;
  try {
    parsed = parseOurs(ours, {
      'container-port': { type: 'string' },
      port: { type: 'string' },
      idle: { type: 'string' },
      max: { type: 'string' },
      pool: { type: 'string' },
      logout: { type: 'string' },
      evict: { type: 'string' },
      'ready-timeout': { type: 'string' },
      measure: { type: 'boolean' },
      isolation: { type: 'boolean' },
      requests: { type: 'string' },
      n: { type: 'string', short: 'n' },
      path: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const [img, ...rest] = parsed.positionals;
    if (!img) throw new UsageError('an IMAGE is required, e.g. container-lineage serve lineage-sample/web:1.0 --container-port 8080');
    if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')} (put a command after --)`);
    image = img;
    if (parsed.values['container-port'] === undefined) throw new UsageError('--container-port is required: the port the image listens on, e.g. 8080');
    containerPort = numberOption('container-port', parsed.values['container-port'] as string, 0);
    if (containerPort < 1 || containerPort > 65535) throw new UsageError('--container-port must be 1–65535');
    if (parsed.values.network !== undefined) throw new UsageError('--network is not accepted: session containers always use the gateway\'s private network');
    if (parsed.values.measure && parsed.values.isolation) throw new UsageError('choose --measure or --isolation, not both');
    const logout = (parsed.values.logout as string | undefined) ?? '/_logout';
    if (!logout.startsWith('/')) throw new UsageError('--logout must be a path starting with /');
    eviction = ((parsed.values.evict as string | undefined) ?? 'reject') as EvictionPolicy;
    if (eviction !== 'reject' && eviction !== 'lru') throw new UsageError('--evict must be reject or lru');
    opts = {
      port: numberOption('port', parsed.values.port as string | undefined, 0),
      idleMs: numberOption('idle', parsed.values.idle as string | undefined, 900, false) * 1000,
      max: numberOption('max', parsed.values.max as string | undefined, 20),
      pool: numberOption('pool', parsed.values.pool as string | undefined, 0),
      logout,
      readyTimeoutMs: numberOption('ready-timeout', parsed.values['ready-timeout'] as string | undefined, 30, false) * 1000,
      sessions: numberOption('n', parsed.values.n as string | undefined, 20),
      requests: numberOption('requests', parsed.values.requests as string | undefined, 10),
      path: (parsed.values.path as string | undefined) ?? '/',
      ...securityFrom(parsed.values),
    };
    if (opts.port > 65535) throw new UsageError('--port must be 0–65535');
    if (opts.max < 1) throw new UsageError('--max must be at least 1');
    if (opts.sessions < 1 || opts.requests < 1) throw new UsageError('-n and --requests must be at least 1');
  } catch (e) {
    return usageErrorExit('serve', USAGE, e);
  }
  const opened = await openRunner('serve', err);
  if (!opened) return 1;
  const json = !!parsed.values.json;
  const container = { image, containerPort, cmd: cmd?.length ? cmd : undefined, env: opts.env, security: opts.security, readyTimeoutMs: opts.readyTimeoutMs };
  try {
    if (parsed.values.measure) {
      const report = await measureServeCost(opened.runner, { ...container, sessions: opts.sessions, requests: opts.requests, path: opts.path, onProgress: (m) => !json && err(m) });
      process.stdout.write(json ? JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n' : formatServeCostText(report));
      return 0;
    }
    if (parsed.values.isolation) {
      const report = await checkServeIsolation(opened.runner, { ...container, path: opts.path });
      process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatServeIsolationText(report));
      return report.passed ? 0 : 3;
    }
    const gw = await startLocalGateway(opened.runner, {
      ...container,
      port: opts.port,
      limits: { maxSessions: opts.max, idleMs: opts.idleMs, eviction },
      poolSize: opts.pool,
      logoutPath: opts.logout,
      log: (level, m) => err(`${new Date().toISOString()} ${level === 'info' ? '' : `${level}: `}${m}`),
    });
    process.stdout.write(`serving ${image} at ${gw.url} — one container per session; log out at ${gw.url.replace(/\/$/, '')}${gw.logoutPath}; Ctrl-C stops\n`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        err(`${sig}: stopping the gateway, removing its containers…`);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // A second signal exits at once (the next start's sweep removes what is left).
        process.once('SIGINT', () => process.exit(130));
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    const problems = await gw.stop();
    for (const p of problems) err(p);
    return problems.length ? 1 : 0;
  } catch (e) {
    err(`container-lineage serve: ${(e as Error).message}`);
    return 1;
  } finally {
    await opened.close();
  }
}
