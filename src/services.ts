import type * as vscode from 'vscode';
import type { EngineConnection } from './engine/connection';

/**
 * What every VS Code face (views, commands, lenses, webviews) receives at activation.
 * `engine` is the single owner of the dockerode client; faces never create their own.
 */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly engine: EngineConnection;
}
