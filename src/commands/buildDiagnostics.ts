/**
 * The error diagnostic of a failed build, kept on its instruction while the document changes:
 * it moves with the instruction when lines are added or removed above it, and goes away when
 * that instruction is edited or deleted (or the document is reverted to a text without it).
 * VS Code keeps a diagnostic at fixed coordinates; without this it stayed on a line that no
 * longer held the failing instruction (and after Revert File it sat on another line).
 *
 * Matching: the failing instruction is remembered by its logical line (the text the engine
 * parsed, from the Dockerfile model) and an anchor line that is shifted by every edit above it;
 * after each change the document is re-parsed and the diagnostic goes to the instruction with
 * the same logical line nearest the anchor, or is removed when there is none.
 */
import * as vscode from 'vscode';
import { parseDockerfile, type InstructionInfo, type Range } from '../core/dockerfile';

const SOURCE = 'Container Lineage build';

interface Failure {
  /** Logical line of the failing instruction (trimmed), or the text of the failing line. */
  text: string;
  /** Whether `text` is an instruction's logical line (else a plain document line). */
  instruction: boolean;
  /** Line the failure is expected at after the edits so far. */
  anchor: number;
  message: string;
}

function find(doc: vscode.TextDocument, f: Failure): vscode.Range | undefined {
  const candidates: Range[] = [];
  if (f.instruction) {
    for (const ins of parseDockerfile(doc.getText()).instructions) if (ins.line.trim() === f.text) candidates.push(ins.range);
  } else {
    for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.trim() === f.text) candidates.push(doc.lineAt(i).range);
  }
  if (candidates.length === 0) return undefined;
  const best = candidates.reduce((a, b) => (Math.abs(b.start.line - f.anchor) < Math.abs(a.start.line - f.anchor) ? b : a));
  return new vscode.Range(best.start.line, best.start.character, best.end.line, best.end.character);
}

/** Build-failure diagnostics per document (one per document: the latest failure). */
export class BuildDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('container-lineage-build');
  private readonly failures = new Map<string, Failure>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => this.changed(e)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.place(doc)),
    ];
  }

  /**
   * Put a failure on `range` of `doc` (zero-based, in the text that was built, which is the
   * document's current text), replacing an earlier one.
   * @returns the range it was put on (the whole instruction when one starts on that line).
   */
  set(doc: vscode.TextDocument, range: Range, message: string): vscode.Range {
    const ins: InstructionInfo | undefined = parseDockerfile(doc.getText()).instructions.find((i) => i.range.start.line === range.start.line);
    const line = Math.min(range.start.line, doc.lineCount - 1);
    const f: Failure = ins
      ? { text: ins.line.trim(), instruction: true, anchor: range.start.line, message }
      : { text: doc.lineAt(line).text.trim(), instruction: false, anchor: line, message };
    this.failures.set(doc.uri.toString(), f);
    return this.place(doc) ?? doc.lineAt(line).range;
  }

  /** Remove the document's failure (after a successful build). */
  clear(uri: vscode.Uri): void {
    this.failures.delete(uri.toString());
    this.collection.delete(uri);
  }

  private changed(e: vscode.TextDocumentChangeEvent): void {
    const f = this.failures.get(e.document.uri.toString());
    if (!f || e.contentChanges.length === 0) return;
    // Ranges of one event refer to the text before it: shift by every change wholly above the
    // anchor (the anchor only breaks ties between identical instructions).
    let delta = 0;
    for (const c of e.contentChanges) {
      if (c.range.end.line < f.anchor || (c.range.end.line === f.anchor && c.range.end.character === 0)) {
        delta += c.text.split(/\r\n|\r|\n/).length - 1 - (c.range.end.line - c.range.start.line);
      }
    }
    f.anchor = Math.max(0, f.anchor + delta);
    this.place(e.document);
  }

  /** Show the failure on its instruction, or drop it when the instruction is gone. */
  private place(doc: vscode.TextDocument): vscode.Range | undefined {
    const key = doc.uri.toString();
    const f = this.failures.get(key);
    if (!f) return undefined;
    const range = find(doc, f);
    if (!range) {
      this.failures.delete(key);
      this.collection.delete(doc.uri);
      return undefined;
    }
    f.anchor = range.start.line;
    const d = new vscode.Diagnostic(range, f.message, vscode.DiagnosticSeverity.Error);
    d.source = SOURCE;
    this.collection.set(doc.uri, [d]);
    return range;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
