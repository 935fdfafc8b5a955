import * as vscode from 'vscode';
import { EngineConnection } from './engine/connection';
import type { Services } from './services';

let services: Services | undefined;

/**
 * Entry point. Activation must not block on the engine: the connection is started in the
 * background and the views follow its state.
 */
export function activate(context: vscode.ExtensionContext): { services: Services } {
  const log = vscode.window.createOutputChannel('Container Lineage', { log: true });
  context.subscriptions.push(log);
  const config = vscode.workspace.getConfiguration('containerLineage');
  const engine = new EngineConnection({
    host: config.get<string>('engine.host') || undefined,
    log: (level, message) => log[level](message),
  });
  context.subscriptions.push(engine);
  services = { context, log, engine };

  // Feature registrations (each feature adds one line here).

  void engine.connect();
  log.info('Container Lineage activated');
  return { services };
}

export function deactivate(): void {
  services = undefined;
}
