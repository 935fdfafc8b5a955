/**
 * Confirmation of destructive actions (remove, prune, delete with descendants). VS Code's modal
 * dialog focuses its first button, so Enter would run whatever comes first: here the first
 * button is always a safe choice (keep, or show what would go), the destructive one second, and
 * VS Code adds Cancel. Enter never deletes anything.
 */
import * as vscode from 'vscode';

/**
 * Ask before a destructive action.
 * @param message the question, e.g. "Remove image busybox:1?".
 * @param detail every name of what would be removed, and what stays.
 * @param action the destructive button, e.g. "Remove Image".
 * @param safe the focused button that removes nothing (default "Keep").
 * @returns 'action' only when the destructive button was clicked; 'safe' for the safe button;
 *   undefined for Cancel or Escape.
 */
export async function confirmDestructive(message: string, detail: string, action: string, safe = 'Keep'): Promise<'action' | 'safe' | undefined> {
  const safeItem: vscode.MessageItem = { title: safe };
  const actionItem: vscode.MessageItem = { title: action };
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, safeItem, actionItem);
  return choice === actionItem ? 'action' : choice === safeItem ? 'safe' : undefined;
}
