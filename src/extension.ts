import * as vscode from 'vscode';
import { EngineConnection } from './engine/connection';
import type { Services } from './services';
import { registerEngineCommands } from './commands/engine';
import { registerStatusBar } from './views/status';
import { registerLineage } from './commands/imagesFeature';
import { LazyFeatures } from './lazy';
import { BUILD, DOCKERFILE_SELECTOR, LAZY_FEATURES, SERVE, STALE, THROWAWAY } from './features';

let services: Services | undefined;
let features: LazyFeatures | undefined;

/**
 * Entry point. Activation must not block on the engine: the connection is started in the
 * background and the views follow its state. A feature whose registration throws is logged
 * and skipped; the others still register.
 *
 * Only the views, the status bar and the engine commands load here; every other feature is a
 * separate bundle loaded on first use (src/lazy.ts, src/features.ts): its commands are stubs
 * until then, and the triggers below load it when what it shows is first needed.
 */
export function activate(context: vscode.ExtensionContext): { services: Services; features: LazyFeatures } {
  const log = vscode.window.createOutputChannel('Container Lineage', { log: true });
  context.subscriptions.push(log);
  const hostSetting = () => vscode.workspace.getConfiguration('containerLineage').get<string>('engine.host')?.trim() || undefined;
  const engine = new EngineConnection({ host: hostSetting(), log: (level, message) => log[level](message) });
  // No polling: the event stream, held open while connected, is the health signal (its end is
  // confirmed by one /_ping); the views follow it or, hidden, only note what it said.
  context.subscriptions.push(engine, engine.events.acquire());
  const s: Services = { context, log, engine };
  services = s;
  const lazy = new LazyFeatures(s);
  features = lazy;
  const register = <T>(name: string, fn: (s: Services) => T): T | undefined => {
    try {
      return fn(s);
    } catch (err) {
      log.error(`${name}: registration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return undefined;
    }
  };

  register('engine commands', registerEngineCommands);
  register('status bar', registerStatusBar);
  // Feature registrations (each feature adds one line here; src/features.ts for lazy ones).
  const lineage = register('image lineage', registerLineage);
  for (const f of LAZY_FEATURES) register(`${f.bundle} stubs`, () => lazy.add(f));

  // Triggers of the features that show more than commands:
  // - the Sessions view (serve) and the stale markers of the Images view: when a view of the
  //   Container Lineage container is first visible;
  // - the FROM lenses (build) and the stale FROM lens: when VS Code first asks for a Dockerfile's lenses;
  // - the orphan sweeps of throwaway containers and gateways: on the first engine connection.
  const views = lineage ? [lineage.imagesView, lineage.containersView] : [];
  const onViews = () => {
    if (!views.some((v) => v.visible)) return false;
    lazy.soon(STALE);
    lazy.soon(SERVE);
    return true;
  };
  if (!onViews()) {
    const subs = views.map((v) => v.onDidChangeVisibility(() => onViews() && subs.forEach((d) => d.dispose())));
    context.subscriptions.push(...subs);
  }
  // A cheap code lens provider stands in for the FROM lenses: its first call loads them (and the
  // stale FROM lens); VS Code then asks the real providers, registered by the load.
  const lensStub = vscode.languages.registerCodeLensProvider(DOCKERFILE_SELECTOR, {
    provideCodeLenses: () => {
      lensStub.dispose();
      lazy.ensure(BUILD);
      lazy.ensure(STALE);
      return [];
    },
  });
  context.subscriptions.push(lensStub);
  const onConnected = engine.onDidChangeState((state) => {
    if (state.kind !== 'connected') return;
    onConnected.dispose();
    lazy.soon(THROWAWAY);
    lazy.soon(SERVE);
  });
  context.subscriptions.push(onConnected);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('containerLineage.engine')) return;
      log.info(`setting containerLineage.engine.host changed to '${hostSetting() ?? ''}'; reconnecting`);
      engine.updateOptions({ host: hostSetting() });
      void engine.connect();
    }),
  );
  // On the next tick: the first attempt resolves the endpoints and loads the engine client
  // (dist/dockerode.js), which activation does not wait for.
  setTimeout(() => void engine.connect(), 0);
  log.info('Container Lineage activated');
  return { services: s, features: lazy };
}

export async function deactivate(): Promise<void> {
  // Throwaway containers (gateways' sessions, transactions, warm pools, shells) are removed before the host goes away.
  await features?.ifLoaded(SERVE)?.shutdownServe().catch(() => undefined);
  await features?.ifLoaded(THROWAWAY)?.shutdownThrowaway().catch(() => undefined);
  services?.engine.dispose();
  services = undefined;
  features = undefined;
}
