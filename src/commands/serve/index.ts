/**
 * "Serve with a Container per Session…" in VS Code: the commands (start a gateway on an image,
 * End Session, Stop Gateway, Open in Browser, Check Gateway Isolation…, Measure Gateway Cost…),
 * the Sessions view and the status-bar URL, and the cleanup (every gateway stops on
 * deactivation; the networks of dead sessions are swept when the engine connects).
 *
 * Commands take an argument so tests and other features can call them without prompts (see
 * {@link ServeArgs}); they return what they made (the gateway's URL and port, a report).
 */
import * as vscode from 'vscode';
import { LABEL_SERVE } from '../../core/labels';
import type { EvictionPolicy } from '../../core/sessions';
import { currentOwner } from '../../engine/owner';
import { sweepSessionNetworks } from '../../engine/serve/dockerBackend';
import { startLocalGateway } from '../../engine/serve/local';
import { GatewayRegistry } from '../../engine/serve/registry';
import { sweepOrphans } from '../../engine/sweep';
import { TransactionRunner } from '../../engine/transaction';
import type { Services } from '../../services';
import { gatewayStatusItem, SESSIONS_VIEW, SessionsProvider, type SessionsNode } from '../../views/sessions';
import { pickImage, securityFromSettings } from '../throwawayInput';
import { askContainerPort } from './prompts';
import { registerServeReports } from './reports';

/** Arguments of `containerLineage.serve.start` instead of prompts (settings fill the rest). */
export interface ServeArgs {
  image: string;
  containerPort: number;
  port?: number;
  idleSeconds?: number;
  maxSessions?: number;
  poolSize?: number;
  logoutPath?: string;
  eviction?: EvictionPolicy;
  /** Command instead of the image's CMD. */
  cmd?: string[];
  /** Extra labels on the containers and network (tests). */
  labels?: Record<string, string>;
  /** No notification (tests). */
  quiet?: boolean;
}

const SECTION = 'containerLineage.serve';

/** The serve feature of one extension host. */
export class ServeFeature implements vscode.Disposable {
  readonly registry = new GatewayRegistry();
  readonly owner = currentOwner();
  private readonly runners: TransactionRunner[] = [];

  constructor(readonly services: Services) {}

  /** What the shared image picker needs: the engine client of the moment. */
  readonly images = { runner: () => ({ docker: this.services.engine.docker() }) };

  /**
   * A runner for the engine connected now (labels: this feature's owner plus `labels`).
   * @throws EngineUnavailableError when no engine is connected.
   */
  runner(labels?: Record<string, string>): TransactionRunner {
    const docker = this.services.engine.docker();
    const r = new TransactionRunner(docker, { owner: this.owner, labels });
    this.runners.push(r);
    return r;
  }

  /** Sweep dead sessions' gateway containers, then their networks. Never throws. */
  async sweep(): Promise<void> {
    try {
      const docker = this.services.engine.docker();
      const swept = await sweepOrphans(docker, this.owner, { labels: [LABEL_SERVE] });
      const nets = await sweepSessionNetworks(docker, this.owner);
      if (swept.removed.length || nets.removed.length) this.services.log.info(`serve: swept ${swept.removed.length} container(s) and ${nets.removed.length} network(s) of gateways that are gone`);
    } catch (err) {
      this.services.log.warn(`serve: sweep failed: ${(err as Error).message}`);
    }
  }

  /** Stop every gateway and dispose the runners. Idempotent. */
  async shutdown(): Promise<void> {
    for (const p of await this.registry.stopAll()) this.services.log.warn(`serve: ${p}`);
    const problems = (await Promise.all(this.runners.splice(0).map((r) => r.dispose()))).flat();
    for (const p of problems) this.services.log.warn(`serve: ${p}`);
  }

  dispose(): void {
    void this.shutdown();
  }
}

function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration(SECTION).get<T>(key, fallback);
}

/** "Serve with a Container per Session…". */
async function startCommand(feature: ServeFeature, arg?: unknown): Promise<{ url: string; port: number } | undefined> {
  const given = arg && typeof arg === 'object' && 'containerPort' in (arg as object) ? (arg as ServeArgs) : undefined;
  const image = given?.image ?? (await pickImage(feature.images, arg, 'Image to serve with one container per session'));
  if (!image) return undefined;
  const containerPort = given?.containerPort ?? (await askContainerPort(feature, image));
  if (!containerPort) return undefined;
  const { security } = securityFromSettings();
  const log = feature.services.log;
  try {
    const gw = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting a session gateway for ${image}…` }, () =>
      startLocalGateway(feature.runner(given?.labels), {
        image,
        containerPort,
        cmd: given?.cmd,
        port: given?.port ?? setting('port', 0),
        limits: {
          idleMs: (given?.idleSeconds ?? setting('idleSeconds', 900)) * 1000,
          maxSessions: given?.maxSessions ?? setting('maxSessions', 20),
          eviction: given?.eviction ?? setting<EvictionPolicy>('eviction', 'reject'),
        },
        poolSize: given?.poolSize ?? setting('poolSize', 0),
        logoutPath: given?.logoutPath ?? setting('logoutPath', '/_logout'),
        readyTimeoutMs: setting('readyTimeoutSeconds', 30) * 1000,
        security,
        log: (level, m) => log[level](`serve: ${m}`),
      }),
    );
    feature.registry.add(gw);
    if (!given?.quiet) {
      void vscode.window.showInformationMessage(`Serving ${image} at ${gw.url}: every login gets a fresh container.`, 'Open in Browser', 'Show Sessions').then((c) => {
        if (c === 'Open in Browser') void vscode.env.openExternal(vscode.Uri.parse(gw.url));
        if (c === 'Show Sessions') void vscode.commands.executeCommand(`${SESSIONS_VIEW}.focus`);
      });
    }
    return { url: gw.url, port: gw.port };
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not serve ${image}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The gateway a command is for: a view row, a port, or the only/picked running one. */
async function gatewayOf(feature: ServeFeature, arg: unknown) {
  const node = arg as Partial<SessionsNode> | undefined;
  if (node?.gateway) return node.gateway;
  if (typeof arg === 'number') return feature.registry.byPort(arg);
  const list = feature.registry.list();
  if (list.length <= 1) return list[0];
  const pick = await vscode.window.showQuickPick(
    list.map((g) => ({ label: g.image, description: g.url, g })),
    { placeHolder: 'Which session gateway?' },
  );
  return pick?.g;
}

/** Register the serve feature: one line in `extension.ts`. */
export function registerServe(services: Services): ServeFeature {
  const feature = new ServeFeature(services);
  active = feature;
  const provider = new SessionsProvider(feature.registry);
  const view = vscode.window.createTreeView(SESSIONS_VIEW, { treeDataProvider: provider });
  // Ages change while the view is open: redraw every 5 s while it is visible and a gateway runs.
  const ages = setInterval(() => view.visible && feature.registry.list().length && provider.refresh(), 5000);
  const { context, engine } = services;
  context.subscriptions.push(
    feature,
    provider,
    view,
    gatewayStatusItem(feature.registry),
    new vscode.Disposable(() => clearInterval(ages)),
    engine.onDidChangeState((s) => {
      if (s.kind === 'connected') void feature.sweep();
    }),
    vscode.commands.registerCommand('containerLineage.serve.start', (arg?: unknown) => startCommand(feature, arg)),
    vscode.commands.registerCommand('containerLineage.serve.stopGateway', async (arg?: unknown) => {
      const gw = await gatewayOf(feature, arg);
      if (!gw) return void vscode.window.showInformationMessage('No session gateway is running.');
      const problems = await gw.stop();
      if (problems.length) void vscode.window.showWarningMessage(`Gateway stopped; ${problems.join('; ')}`);
      return problems;
    }),
    vscode.commands.registerCommand('containerLineage.serve.endSession', async (arg?: unknown) => {
      // A Sessions view row, or { port, sessionId } (tests, other features).
      const node = arg as (SessionsNode & { port?: undefined }) | { kind?: undefined; port: number; sessionId: string } | undefined;
      if (node?.kind === 'session') return node.gateway.endSession(node.session.id, 'ended-by-user');
      if (node && typeof node.port === 'number') return (await feature.registry.byPort(node.port)?.endSession(node.sessionId, 'ended-by-user')) ?? false;
      void vscode.window.showInformationMessage('Choose a session in the Sessions view to end it.');
      return false;
    }),
    vscode.commands.registerCommand('containerLineage.serve.openInBrowser', async (arg?: unknown) => {
      const gw = await gatewayOf(feature, arg);
      if (gw) await vscode.env.openExternal(vscode.Uri.parse(gw.url));
    }),
    // Test/diagnostic hook (not in the palette): the running gateways and their sessions as data.
    vscode.commands.registerCommand('containerLineage.internal.serveState', () =>
      feature.registry.list().map((g) => ({ url: g.url, port: g.port, image: g.image, sessions: g.sessions(), stats: g.stats() })),
    ),
  );
  registerServeReports(feature);
  const running = () => void vscode.commands.executeCommand('setContext', 'containerLineage.serve.running', feature.registry.list().length > 0);
  const unsubscribe = feature.registry.onDidChange(running);
  context.subscriptions.push(new vscode.Disposable(unsubscribe));
  running();
  if (engine.state.kind === 'connected') void feature.sweep();
  return feature;
}

let active: ServeFeature | undefined;

/** Stop every gateway of this extension host (awaited by `deactivate()`). */
export function shutdownServe(): Promise<void> {
  return active?.shutdown() ?? Promise.resolve();
}
