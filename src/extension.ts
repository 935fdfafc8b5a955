import * as vscode from 'vscode';
import { EngineConnection } from './engine/connection';
import type { Services } from './services';
import { registerEngineCommands } from './commands/engine';
import { registerStatusBar } from './views/status';
import { registerLineage } from './commands/imagesFeature';
import { registerBuildFeature } from './commands/buildFeature';
import { registerOverhead } from './commands/overhead';
import { registerThrowaway, shutdownThrowaway } from './commands/transactions';
import { registerServe, shutdownServe } from './commands/serve';
import { registerStaleFeature } from './commands/staleFeature';

let services: Services | undefined;

/**
 * Entry point. Activation must not block on the engine: the connection is started in the
 * background and the views follow its state. A feature whose registration throws is logged
 * and skipped; the others still register.
 */
export function activate(context: vscode.ExtensionContext): { services: Services } {
  const log = vscode.window.createOutputChannel('Container Lineage', { log: true });
  context.subscriptions.push(log);
  const hostSetting = () => vscode.workspace.getConfiguration('containerLineage').get<string>('engine.host')?.trim() || undefined;
  const engine = new EngineConnection({ host: hostSetting(), log: (level, message) => log[level](message) });
  // No polling: the event stream, held open while connected, is the health signal (its end is
  // confirmed by one /_ping); the views follow it or, hidden, only note what it said.
  context.subscriptions.push(engine, engine.events.acquire());
  const s: Services = { context, log, engine };
  services = s;
  const register = (name: string, fn: (s: Services) => void) => {
    try {
      fn(s);
    } catch (err) {
      log.error(`${name}: registration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  };

  register('engine commands', registerEngineCommands);
  register('status bar', registerStatusBar);
  // Feature registrations (each feature adds one line here).
  register('image lineage', registerLineage);
  register('build child images', registerBuildFeature);
  register('overhead metrics', registerOverhead);
  register('throwaway containers', registerThrowaway);
  register('container per session', registerServe);
  register('stale descendants', registerStaleFeature);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('containerLineage.engine')) return;
      log.info(`setting containerLineage.engine.host changed to '${hostSetting() ?? ''}'; reconnecting`);
      engine.updateOptions({ host: hostSetting() });
      void engine.connect();
    }),
  );
  void engine.connect();
  log.info('Container Lineage activated');
  return { services: s };
}

export async function deactivate(): Promise<void> {
  // Throwaway containers (gateways' sessions, transactions, warm pools, shells) are removed before the host goes away.
  await shutdownServe().catch(() => undefined);
  await shutdownThrowaway().catch(() => undefined);
  services?.engine.dispose();
  services = undefined;
}
